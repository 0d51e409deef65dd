#include "nn/train/resnet_train.h"

#include <algorithm>
#include <cstring>

#include "kernels/elementwise/elementwise.h"
#include "nn/train/elementwise_train.h"

namespace ddpm::nn::train {
void ResnetTrain::Register(ParamStore& ps, const ResnetSpec& spec, int temb_channels) {
  static_cast<ResnetSpec&>(*this) = spec;
  norm1.Register(ps, name + ".norm1", in_channels, groups, eps);
  conv1.Register(ps, name + ".conv1", conv1_params());
  time_emb_proj.Register(ps, name + ".time_emb_proj", temb_channels, time_emb_proj_out());
  norm2.Register(ps, name + ".norm2", out_channels, groups, eps);
  conv2.Register(ps, name + ".conv2", conv2_params());
  if (has_shortcut()) conv_shortcut.Register(ps, name + ".conv_shortcut", shortcut_params());
}

Status ResnetTrain::Pack(const ParamStore& ps) {
  DDPM_RETURN_IF_ERROR(conv1.Pack(ps));
  DDPM_RETURN_IF_ERROR(conv2.Pack(ps));
  DDPM_RETURN_IF_ERROR(time_emb_proj.Pack(ps));
  return has_shortcut() ? conv_shortcut.Pack(ps) : Status::Ok();
}

Status ResnetTrain::Forward(TrainContext& ctx, const float* x, Dims d, const float* temb_act) {
  const int b = ctx.batch;
  const size_t n_out = size_t(b) * d.hw() * out_channels;
  ParamStore& ps = *ctx.params;
  DDPM_RETURN_IF_ERROR(EnsureShape(&h1, {b, d.h, d.w, out_channels}, name + " activations"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&y, {b, d.h, d.w, out_channels}, name + " output"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&tproj, {b, time_emb_proj.out}, name + " time projection"));
  mean1.resize(size_t(b) * norm1.groups);
  rstd1.resize(mean1.size());
  mean2.resize(size_t(b) * norm2.groups);
  rstd2.resize(mean2.size());

  DDPM_ASSIGN_OR_RETURN(float* a, ctx.ws->Get(Workspace::kRecompute, size_t(b) * d.hw() * std::max(in_channels, out_channels)));
  const GroupNormSpec s1 = norm1.Spec(b, d.hw(), /*silu=*/true);
  DDPM_ASSIGN_OR_RETURN(float* scratch, ctx.ws->Get(Workspace::kScratch, GroupNormScratchFloats(s1, ctx.threads())));
  GroupNormForward(a, mean1.data(), rstd1.data(), x, ps.value(norm1.gamma), ps.value(norm1.beta), s1, scratch, ctx.pool);
  DDPM_RETURN_IF_ERROR(conv1.Forward(ctx, a, d.h, d.w, h1.data()));
  DDPM_RETURN_IF_ERROR(time_emb_proj.Forward(ctx, temb_act, size_t(b), tproj.data()));
  GroupNormSpec s2 = norm2.Spec(b, d.hw(), /*silu=*/true);
  if (!scale_shift) {
    kernels::AddPerSampleChannels(h1.data(), b, d.hw(), out_channels, tproj.data(), size_t(out_channels));
  } else {
    s2.scale = tproj.data();  // torch.chunk(temb, 2, dim=1): scale first, then shift
    s2.shift = tproj.data() + out_channels;
    s2.mod_stride = size_t(2) * out_channels;
  }
  DDPM_ASSIGN_OR_RETURN(scratch, ctx.ws->Get(Workspace::kScratch, GroupNormScratchFloats(s2, ctx.threads())));
  GroupNormForward(a, mean2.data(), rstd2.data(), h1.data(), ps.value(norm2.gamma), ps.value(norm2.beta), s2, scratch,
                   ctx.pool);
  // y = shortcut(x) + conv2(a2), the residual riding on the conv's accumulate mode as in inference.
  if (has_shortcut()) DDPM_RETURN_IF_ERROR(conv_shortcut.Forward(ctx, x, d.h, d.w, y.data()));
  else ParallelCopy(y.data(), x, n_out, ctx.pool);
  DDPM_RETURN_IF_ERROR(conv2.Forward(ctx, a, d.h, d.w, y.data(), /*accumulate=*/true));
  if (output_scale_factor != 1.0f) kernels::Divide(y.data(), n_out, output_scale_factor, y.data());
  return Status::Ok();
}

Status ResnetTrain::Backward(TrainContext& ctx, float* dx, float* d_temb_act, const float* dy, const float* x, Dims d,
                           const float* temb_act) {
  const int b = ctx.batch;
  const size_t n_in = size_t(b) * d.hw() * in_channels, n_out = size_t(b) * d.hw() * out_channels;
  ParamStore& ps = *ctx.params;
  Workspace& ws = *ctx.ws;

  // y = r / s:  dr = dy / s.
  const float* dr = dy;
  if (output_scale_factor != 1.0f) {
    DDPM_ASSIGN_OR_RETURN(float* t, ws.Zeroed(Workspace::kGrad0, n_out));
    DivideBackward(t, dy, n_out, output_scale_factor);
    dr = t;
  }
  if (has_shortcut()) DDPM_RETURN_IF_ERROR(conv_shortcut.Backward(ctx, dx, dr, x, d.h, d.w));
  else
    ParallelAdd(dx, dr, n_out, ctx.pool);

  // conv2, with its input a2 rebuilt from h1 and the saved statistics.
  GroupNormSpec s2 = norm2.Spec(b, d.hw(), /*silu=*/true);
  if (scale_shift) {
    s2.scale = tproj.data();
    s2.shift = tproj.data() + out_channels;
    s2.mod_stride = size_t(2) * out_channels;
  }
  DDPM_ASSIGN_OR_RETURN(float* a, ws.Get(Workspace::kRecompute, std::max(n_in, n_out)));
  DDPM_ASSIGN_OR_RETURN(float* scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s2, ctx.threads())));
  GroupNormApply(a, h1.data(), mean2.data(), rstd2.data(), ps.value(norm2.gamma), ps.value(norm2.beta), s2, scratch,
                 ctx.pool);
  DDPM_ASSIGN_OR_RETURN(float* da, ws.Zeroed(Workspace::kGrad1, std::max(n_in, n_out)));
  DDPM_RETURN_IF_ERROR(conv2.Backward(ctx, da, dr, a, d.h, d.w));

  // GN2 (with the time conditioning) -> dh1 and d tproj.
  DDPM_ASSIGN_OR_RETURN(float* dtproj, ws.Zeroed(Workspace::kSmall, size_t(b) * time_emb_proj.out));
  DDPM_ASSIGN_OR_RETURN(float* dh1, ws.Zeroed(Workspace::kGrad2, n_out));
  DDPM_ASSIGN_OR_RETURN(scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s2, ctx.threads())));
  GroupNormBackward(dh1, ps.grad(norm2.gamma), ps.grad(norm2.beta), scale_shift ? dtproj : nullptr,
                    scale_shift ? dtproj + out_channels : nullptr, da, h1.data(), mean2.data(), rstd2.data(),
                    ps.value(norm2.gamma), ps.value(norm2.beta), s2, scratch, ctx.pool);
  if (!scale_shift) AddPerSampleChannelsBackward(dtproj, size_t(out_channels), dh1, b, d.hw(), out_channels);
  DDPM_RETURN_IF_ERROR(time_emb_proj.Backward(ctx, d_temb_act, dtproj, temb_act, size_t(b)));

  // conv1, with a1 rebuilt from x; then GN1 into dx.
  const GroupNormSpec s1 = norm1.Spec(b, d.hw(), /*silu=*/true);
  DDPM_ASSIGN_OR_RETURN(scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s1, ctx.threads())));
  GroupNormApply(a, x, mean1.data(), rstd1.data(), ps.value(norm1.gamma), ps.value(norm1.beta), s1, scratch, ctx.pool);
  ParallelZero(da, n_in, ctx.pool);
  DDPM_RETURN_IF_ERROR(conv1.Backward(ctx, da, dh1, a, d.h, d.w));
  DDPM_ASSIGN_OR_RETURN(scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s1, ctx.threads())));
  GroupNormBackward(dx, ps.grad(norm1.gamma), ps.grad(norm1.beta), nullptr, nullptr, da, x, mean1.data(),
                    rstd1.data(), ps.value(norm1.gamma), ps.value(norm1.beta), s1, scratch, ctx.pool);
  return Status::Ok();
}

size_t ResnetTrain::saved_bytes() const {
  return (h1.size() + y.size() + tproj.size() + 2 * mean1.size() + 2 * mean2.size()) * sizeof(float);
}

}  // namespace ddpm::nn::train
