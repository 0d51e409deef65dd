#include "nn/train/attention_block_train.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/elementwise/elementwise.h"
#include "nn/train/attention_train.h"
#include "nn/train/elementwise_train.h"

namespace ddpm::nn::train {
void AttentionTrain::Register(ParamStore& ps, const AttentionSpec& spec) {
  static_cast<AttentionSpec&>(*this) = spec;
  if (has_norm()) norm.Register(ps, name + ".group_norm", channels, norm_groups, eps);
  qkv.RegisterStacked(ps, {name + ".to_q", name + ".to_k", name + ".to_v"}, channels, channels);
  to_out.Register(ps, name + ".to_out.0", channels, channels);
}

Status AttentionTrain::Pack(const ParamStore& ps) {
  DDPM_RETURN_IF_ERROR(qkv.Pack(ps));
  return to_out.Pack(ps);
}

Status AttentionTrain::Forward(TrainContext& ctx, const float* x, Dims d) {
  const int b = ctx.batch, t = d.hw();
  const size_t n = size_t(b) * t * channels;
  ParamStore& ps = *ctx.params;
  DDPM_RETURN_IF_ERROR(EnsureShape(&qkv_act, {b, t, 3 * channels}, name + " q|k|v"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&o, {b, t, channels}, name + " attention output"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&y, {b, d.h, d.w, channels}, name + " output"));
  const float* h = x;
  if (has_norm()) {
    mean.resize(size_t(b) * norm.groups);
    rstd.resize(mean.size());
    DDPM_ASSIGN_OR_RETURN(float* nrm, ctx.ws->Get(Workspace::kRecompute, n));
    const GroupNormSpec s = norm.Spec(b, t, /*silu=*/false);
    DDPM_ASSIGN_OR_RETURN(float* gn_scratch, ctx.ws->Get(Workspace::kScratch, GroupNormScratchFloats(s, ctx.threads())));
    GroupNormForward(nrm, mean.data(), rstd.data(), x, ps.value(norm.gamma), ps.value(norm.beta), s, gn_scratch, ctx.pool);
    h = nrm;
  }
  DDPM_RETURN_IF_ERROR(qkv.Forward(ctx, h, size_t(b) * t, qkv_act.data()));
  // diffusers: scale = dim_head**-0.5 (a Python float), applied to the float32 scores.
  const float scale = float(1.0 / std::sqrt(double(head_dim)));
  DDPM_ASSIGN_OR_RETURN(float* scratch,
                        ctx.ws->Get(Workspace::kScratch, AttentionForwardScratchFloats(t, head_dim, ctx.threads())));
  AttentionForward(o.data(), qkv_act.data(), b, t, channels, head_dim, scale, scratch, ctx.pool);
  ParallelCopy(y.data(), x, n, ctx.pool);
  DDPM_RETURN_IF_ERROR(to_out.Forward(ctx, o.data(), size_t(b) * t, y.data(), /*accumulate=*/true));
  if (rescale_output_factor != 1.0f) kernels::Divide(y.data(), n, rescale_output_factor, y.data());
  return Status::Ok();
}

Status AttentionTrain::Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, Dims d) {
  const int b = ctx.batch, t = d.hw();
  const size_t n = size_t(b) * t * channels, rows = size_t(b) * t;
  ParamStore& ps = *ctx.params;
  Workspace& ws = *ctx.ws;

  const float* dr = dy;
  if (rescale_output_factor != 1.0f) {
    DDPM_ASSIGN_OR_RETURN(float* tmp, ws.Zeroed(Workspace::kGrad0, n));
    DivideBackward(tmp, dy, n, rescale_output_factor);
    dr = tmp;
  }
  ParallelAdd(dx, dr, n, ctx.pool);  // the residual

  DDPM_ASSIGN_OR_RETURN(float* d_o, ws.Zeroed(Workspace::kGrad1, n));
  DDPM_RETURN_IF_ERROR(to_out.Backward(ctx, d_o, dr, o.data(), rows));
  DDPM_ASSIGN_OR_RETURN(float* dqkv, ws.Zeroed(Workspace::kGrad2, 3 * n));
  const float scale = float(1.0 / std::sqrt(double(head_dim)));
  DDPM_ASSIGN_OR_RETURN(float* scratch, ws.Get(Workspace::kScratch, AttentionBackwardScratchFloats(t, head_dim, ctx.threads())));
  AttentionBackward(dqkv, d_o, qkv_act.data(), b, t, channels, head_dim, scale, scratch, ctx.pool);

  if (!has_norm()) return qkv.Backward(ctx, dx, dqkv, x, rows);
  // GN(x) rebuilt from the saved statistics, then q|k|v and GN into dx.
  const GroupNormSpec s = norm.Spec(b, t, /*silu=*/false);
  DDPM_ASSIGN_OR_RETURN(float* nrm, ws.Get(Workspace::kRecompute, n));
  DDPM_ASSIGN_OR_RETURN(scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s, ctx.threads())));
  GroupNormApply(nrm, x, mean.data(), rstd.data(), ps.value(norm.gamma), ps.value(norm.beta), s, scratch, ctx.pool);
  DDPM_ASSIGN_OR_RETURN(float* dn, ws.Zeroed(Workspace::kGrad1, n));
  DDPM_RETURN_IF_ERROR(qkv.Backward(ctx, dn, dqkv, nrm, rows));
  DDPM_ASSIGN_OR_RETURN(scratch, ws.Get(Workspace::kScratch, GroupNormScratchFloats(s, ctx.threads())));
  GroupNormBackward(dx, ps.grad(norm.gamma), ps.grad(norm.beta), nullptr, nullptr, dn, x, mean.data(), rstd.data(),
                    ps.value(norm.gamma), ps.value(norm.beta), s, scratch, ctx.pool);
  return Status::Ok();
}

size_t AttentionTrain::saved_bytes() const {
  return (qkv_act.size() + o.size() + y.size() + 2 * mean.size()) * sizeof(float);
}

}  // namespace ddpm::nn::train
