#include "nn/resnet_block.h"

#include <cstring>

#include "kernels/elementwise/elementwise.h"
#include "kernels/group_norm/group_norm.h"

namespace ddpm::nn {

void ResnetBlock::Load(WeightLoader& wl, const ResnetSpec& spec, StackedLinear* temb_proj) {
  static_cast<ResnetSpec&>(*this) = spec;
  norm1.Load(wl, name + ".norm1", in_channels, groups, eps);
  conv1 = LoadConv(wl, name + ".conv1", conv1_params());
  temb_offset = temb_proj->Add(wl, name + ".time_emb_proj", time_emb_proj_out());
  norm2.Load(wl, name + ".norm2", out_channels, groups, eps);
  conv2 = LoadConv(wl, name + ".conv2", conv2_params());
  if (has_shortcut()) conv_shortcut = LoadConv(wl, name + ".conv_shortcut", shortcut_params());
}

void ResnetBlock::Forward(const RunContext& ctx, const float* x, Dims d, float* y) const {
  const int b = ctx.batch;
  const size_t n_out = size_t(b) * d.hw() * out_channels;
  const float* temb = ctx.temb + temb_offset;

  norm1.Run(ctx, x, d, ctx.norm, /*silu=*/true);
  kernels::Conv2d(conv1, ctx.norm, b, d.h, d.w, ctx.tmp, false, ctx.scratch, ctx.pool);

  if (!scale_shift) {
    kernels::AddPerSampleChannels(ctx.tmp, b, d.hw(), out_channels, temb, ctx.temb_stride);
    norm2.Run(ctx, ctx.tmp, d, ctx.norm, /*silu=*/true);
  } else {
    kernels::GroupNormArgs a;
    a.batch = b;
    a.hw = d.hw();
    a.channels = out_channels;
    a.groups = norm2.groups;
    a.eps = norm2.eps;
    a.gamma = norm2.gamma.data();
    a.beta = norm2.beta.data();
    a.scale = temb;          // torch.chunk(temb, 2, dim=1): scale first,
    a.shift = temb + out_channels;   // then shift
    a.mod_stride = ctx.temb_stride;
    a.silu = true;
    kernels::GroupNorm(a, ctx.tmp, ctx.norm, ctx.scratch, ctx.pool);
  }

  // y = shortcut(x), then y += conv2(h): the residual add rides on the conv's accumulate mode.
  if (has_shortcut()) {
    kernels::Conv2d(conv_shortcut, x, b, d.h, d.w, y, false, ctx.scratch, ctx.pool);
  } else {
    std::memcpy(y, x, sizeof(float) * n_out);
  }
  kernels::Conv2d(conv2, ctx.norm, b, d.h, d.w, y, /*accumulate=*/true, ctx.scratch, ctx.pool);
  if (output_scale_factor != 1.0f) kernels::Divide(y, n_out, output_scale_factor, y);
  ctx.Report(name, y, d.h, d.w, out_channels);
}

}  // namespace ddpm::nn
