#include "nn/train/layers_train.h"

#include "nn/dense.h"

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

void ConvLayer::Forward(TrainContext& ctx, const float* x, int h, int wd, float* y, bool accumulate) {
  const ConvGeom g = MakeConvGeom(p, ctx.batch, h, wd);
  float* scratch = ctx.ws->Get(Workspace::kScratch, Conv2dForwardScratchFloats(packed, g, ctx.threads()));
  Conv2dForward(y, x, packed, g, accumulate, scratch, ctx.pool);
}

void ConvLayer::Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, int h, int wd) {
  const ConvGeom g = MakeConvGeom(p, ctx.batch, h, wd);
  float* scratch = ctx.ws->Get(Workspace::kScratch, Conv2dBackwardScratchFloats(g, ctx.threads()));
  ParamStore& ps = *ctx.params;
  Conv2dBackward(dx, ps.grad(w), ps.grad(b), dy, x, ps.value(w), g, scratch, ctx.pool);
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
  for (size_t i = 0; i < prefixes.size(); ++i) {
    ps.Name(prefixes[i] + ".weight", {out_each, in}, {w.offset + i * out_each * in, size_t(out_each) * in});
    ps.Name(prefixes[i] + ".bias", {out_each}, {b.offset + i * out_each, size_t(out_each)});
  }
}

void LinearLayer::Pack(const ParamStore& ps) {
  kernels::Conv2dParams p;
  p.cin = in;
  p.cout = out;
  p.kh = p.kw = 1;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
  packed = kernels::PackedConv2d::Pack(p, ps.value(w), ps.value(b));
}

void LinearLayer::Forward(TrainContext& ctx, const float* x, size_t rows, float* y, bool accumulate) {
  // A Linear is a 1x1 convolution over `rows` pixels (what the inference model runs, too).
  kernels::Conv2d(packed, x, int(rows), 1, 1, y, accumulate, nullptr, ctx.pool);
}

void LinearLayer::Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, size_t rows) {
  float* scratch = ctx.ws->Get(Workspace::kScratch, DenseScratchFloats(rows, in, out, ctx.threads()));
  ParamStore& ps = *ctx.params;
  DenseBackward(dx, ps.grad(w), ps.grad(b), dy, x, ps.value(w), rows, in, out, scratch, ctx.pool);
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
