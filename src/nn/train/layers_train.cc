#include "nn/train/layers_train.h"

#include "nn/layers.h"


namespace ddpm::nn::train {

Status EnsureShape(Tensor* t, const Shape& shape, const std::string& what) {
  if (t->shape() == shape) return Status::Ok();
  *t = Tensor();  // free first: the peak is the new size, not old + new
  *t = Tensor(shape);
  if (!t->ok()) return OutOfMemory("training: cannot allocate " + what + " " + ShapeToString(shape));
  return Status::Ok();
}

void ConvLayer::Register(ParamStore& ps, const std::string& prefix, const kernels::Conv2dParams& params) {
  p = params;
  w = ps.Add(prefix + ".weight", {p.cout, p.cin, p.kh, p.kw});
  b = ps.Add(prefix + ".bias", {p.cout});
}

Status ConvLayer::Pack(const ParamStore& ps) {
  bool ok = packed.Repack(p, ps.value(w), ps.value(b));
  if (ok && p.stride == 1) ok = packed_dx.RepackInputGradient(p, ps.value(w));
  return ok ? Status::Ok() : OutOfMemory("training: cannot allocate the packed weights of a convolution");
}

Status ConvLayer::Forward(TrainContext& ctx, const float* x, int h, int wd, float* y, bool accumulate) {
  return Forward(ctx, MakeConvGeom(p, ctx.batch, h, wd), x, y, accumulate);
}

Status ConvLayer::Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, int h, int wd) {
  return Backward(ctx, MakeConvGeom(p, ctx.batch, h, wd), dx, dy, x);
}

Status ConvLayer::Forward(TrainContext& ctx, const ConvGeom& g, const float* x, float* y, bool accumulate) {
  DDPM_ASSIGN_OR_RETURN(float* scratch,
                        ctx.ws->Get(Workspace::kScratch, Conv2dForwardScratchFloats(packed, g, ctx.threads())));
  Conv2dForward(y, x, packed, g, accumulate, scratch, ctx.pool);
  return Status::Ok();
}

Status ConvLayer::Backward(TrainContext& ctx, const ConvGeom& g, float* dx, const float* dy, const float* x) {
  DDPM_ASSIGN_OR_RETURN(float* scratch, ctx.ws->Get(Workspace::kScratch, Conv2dBackwardScratchFloats(g, ctx.threads())));
  ParamStore& ps = *ctx.params;
  Conv2dBackward(dx, ps.grad(w), ps.grad(b), dy, x, ps.value(w), g, &packed_dx, scratch, ctx.pool);
  return Status::Ok();
}

void LinearLayer::Register(ParamStore& ps, const std::string& prefix, int in_features, int out_features) {
  RegisterStacked(ps, {prefix}, in_features, out_features);
}

void LinearLayer::RegisterStacked(ParamStore& ps, const std::vector<std::string>& prefixes, int in_features,
                                  int out_each) {
  in = in_features;
  out = out_each * int(prefixes.size());
  w = ps.Reserve(size_t(out) * in);
  b = ps.Reserve(size_t(out));
  conv.p = ConvParams(in, out, 1, 1, 0);
  conv.w = w;
  conv.b = b;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    ps.Name(prefixes[i] + ".weight", {out_each, in}, {w.offset + i * out_each * in, size_t(out_each) * in});
    ps.Name(prefixes[i] + ".bias", {out_each}, {b.offset + i * out_each, size_t(out_each)});
  }
}

Status LinearLayer::Forward(TrainContext& ctx, const float* x, size_t rows, float* y, bool accumulate) {
  return conv.Forward(ctx, MakeConvGeom(conv.p, int(rows), 1, 1), x, y, accumulate);
}

Status LinearLayer::Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, size_t rows) {
  return conv.Backward(ctx, MakeConvGeom(conv.p, int(rows), 1, 1), dx, dy, x);
}

void GroupNormLayerT::Register(ParamStore& ps, const std::string& prefix, int c, int g, double e) {
  channels = c;
  groups = g;
  eps = float(e);
  gamma = ps.Add(prefix + ".weight", {c});
  beta = ps.Add(prefix + ".bias", {c});
}

GroupNormSpec GroupNormLayerT::Spec(int batch, int hw, bool silu) const {
  GroupNormSpec s;
  s.batch = batch;
  s.hw = hw;
  s.channels = channels;
  s.groups = groups;
  s.eps = eps;
  s.silu = silu;
  return s;
}

}  // namespace ddpm::nn::train
