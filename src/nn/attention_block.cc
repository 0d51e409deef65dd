#include "nn/attention_block.h"

#include <cmath>

#include "kernels/attention/attention.h"
#include "kernels/elementwise/elementwise.h"

namespace ddpm::nn {

void AttentionBlock::Load(WeightLoader& wl, const AttentionSpec& spec) {
  static_cast<AttentionSpec&>(*this) = spec;
  const int c = channels;
  const std::string& prefix = name;
  if (has_norm()) norm.Load(wl, prefix + ".group_norm", c, norm_groups, eps);
  StackedLinear stacked(c);
  stacked.Add(wl, prefix + ".to_q", c);
  stacked.Add(wl, prefix + ".to_k", c);
  stacked.Add(wl, prefix + ".to_v", c);
  qkv = stacked.Pack();
  StackedLinear to_out(c);
  to_out.Add(wl, prefix + ".to_out.0", c);
  out = to_out.Pack();
}

size_t AttentionBlock::ScratchFloats(int tokens, int threads) const {
  return kernels::AttentionScratchFloats(tokens, head_dim, threads);
}

void AttentionBlock::Forward(const RunContext& ctx, float* x, Dims d) const {
  const int b = ctx.batch;
  const float* h = x;
  if (has_norm()) {
    norm.Run(ctx, x, d, ctx.norm, /*silu=*/false);
    h = ctx.norm;
  }
  kernels::Conv2d(qkv, h, b, d.h, d.w, ctx.qkv, false, ctx.scratch, ctx.pool);
  // diffusers: scale = dim_head**-0.5 (a Python float), applied to the float32 scores.
  const float scale = float(1.0 / std::sqrt(double(head_dim)));
  kernels::MultiHeadAttention(ctx.qkv, b, d.hw(), channels, head_dim, scale, ctx.tmp, ctx.scratch, ctx.pool);
  // x += to_out(o): the residual connection rides on the conv's accumulate mode.
  kernels::Conv2d(out, ctx.tmp, b, d.h, d.w, x, /*accumulate=*/true, ctx.scratch, ctx.pool);
  if (rescale_output_factor != 1.0f) {
    kernels::Divide(x, size_t(b) * d.hw() * channels, rescale_output_factor, x);
  }
  ctx.Report(name, x, d.h, d.w, channels);
}

}  // namespace ddpm::nn
