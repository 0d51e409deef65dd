#include "nn/layers.h"

#include "kernels/group_norm/group_norm.h"

namespace ddpm::nn {

void GroupNormLayer::Load(WeightLoader& wl, const std::string& prefix, int c, int g, double e) {
  channels = c;
  groups = g;
  eps = float(e);
  Tensor w = wl.Get(prefix + ".weight", {c});
  Tensor b = wl.Get(prefix + ".bias", {c});
  gamma.assign(w.data(), w.data() + c);
  beta.assign(b.data(), b.data() + c);
}

void GroupNormLayer::Run(const RunContext& ctx, const float* x, Dims d, float* y, bool silu) const {
  kernels::GroupNormArgs a;
  a.batch = ctx.batch;
  a.hw = d.hw();
  a.channels = channels;
  a.groups = groups;
  a.eps = eps;
  a.gamma = gamma.data();
  a.beta = beta.data();
  a.silu = silu;
  kernels::GroupNorm(a, x, y, ctx.scratch, ctx.pool);
}

kernels::Conv2dParams ConvParams(int cin, int cout, int k, int stride, int pad) {
  kernels::Conv2dParams p;
  p.cin = cin;
  p.cout = cout;
  p.kh = p.kw = k;
  p.stride = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  return p;
}

kernels::PackedConv2d LoadConv(WeightLoader& wl, const std::string& prefix, const kernels::Conv2dParams& p) {
  Tensor w = wl.Get(prefix + ".weight", {p.cout, p.cin, p.kh, p.kw});
  Tensor b = wl.Get(prefix + ".bias", {p.cout});
  return kernels::PackedConv2d::Pack(p, w.data(), b.data());
}

size_t StackedLinear::Add(WeightLoader& wl, const std::string& prefix, int out_features) {
  Tensor w = wl.Get(prefix + ".weight", {out_features, in_});
  Tensor b = wl.Get(prefix + ".bias", {out_features});
  w_.insert(w_.end(), w.data(), w.data() + w.size());
  b_.insert(b_.end(), b.data(), b.data() + b.size());
  const size_t offset = out_;
  out_ += out_features;
  return offset;
}

kernels::PackedConv2d StackedLinear::Pack() const {
  return kernels::PackedConv2d::Pack(ConvParams(in_, out_, 1, 1, 0), w_.data(), b_.data());
}

void RunLinear(const kernels::PackedConv2d& w, const float* x, int batch, float* y, const RunContext& ctx) {
  // A Linear is a 1x1 conv over `batch` images of one pixel.
  kernels::Conv2d(w, x, batch, 1, 1, y, /*accumulate=*/false, ctx.scratch, ctx.pool);
}

}  // namespace ddpm::nn
