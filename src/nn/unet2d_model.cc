#include "nn/unet2d_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/diffusers_folder.h"
#include "kernels/attention/attention.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/group_norm/group_norm.h"
#include "kernels/upsample/upsample.h"
#include "nn/timestep_embedding.h"

namespace ddpm::nn {

using kernels::Conv2d;
using kernels::PackedConv2d;

Expected<std::unique_ptr<UNet2DModel>> UNet2DModel::Create(const JsonConfig& config, const SafeTensors& weights) {
  DDPM_ASSIGN_OR_RETURN(UNet2DConfig c, UNet2DConfig::FromJson(config));
  std::unique_ptr<UNet2DModel> m(new UNet2DModel());
  m->structure_ = UNetStructure::FromConfig(c);
  WeightLoader wl(weights);
  DDPM_RETURN_IF_ERROR(m->Build(wl));
  DDPM_RETURN_IF_ERROR(wl.Finish());
  m->num_parameters_ = wl.parameter_count();
  return m;
}

Expected<std::unique_ptr<UNet2DModel>> UNet2DModel::FromPretrained(const std::string& dir) {
  DDPM_ASSIGN_OR_RETURN(UNetFiles files, ReadUNetFiles(dir));
  return Create(files.config, files.weights);
}

Status UNet2DModel::Build(WeightLoader& wl) {
  const UNetStructure& s = structure_;
  const UNet2DConfig& c = s.config;
  const int c0 = c.block_out_channels[0];
  time_embed_dim_ = s.time_embed_dim;
  {
    StackedLinear l1(c0), l2(time_embed_dim_);
    l1.Add(wl, "time_embedding.linear_1", time_embed_dim_);
    l2.Add(wl, "time_embedding.linear_2", time_embed_dim_);
    linear_1_ = l1.Pack();
    linear_2_ = l2.Pack();
  }
  if (c.num_class_embeds) {
    Tensor t = wl.Get("class_embedding.weight", {*c.num_class_embeds, time_embed_dim_});
    class_table_.assign(t.data(), t.data() + t.size());
  }
  StackedLinear temb(time_embed_dim_);  // every resnet's time_emb_proj, in execution order
  conv_in_ = LoadConv(wl, s.conv_in.name, s.conv_in.params);
  blocks_.clear();
  for (const BlockSpec& spec : s.blocks) {
    Block& b = blocks_.emplace_back();
    for (const ResnetSpec& r : spec.resnets) b.resnets.emplace_back().Load(wl, r, &temb);
    for (const AttentionSpec& a : spec.attentions) b.attentions.emplace_back().Load(wl, a);
    if (spec.sampler != SamplerKind::kNone) b.sampler = LoadConv(wl, spec.sampler_conv.name, spec.sampler_conv.params);
  }
  conv_norm_out_.Load(wl, "conv_norm_out", s.norm_out_channels, s.norm_out_groups, s.norm_out_eps);
  conv_out_ = LoadConv(wl, s.conv_out.name, s.conv_out.params);
  temb_proj_ = temb.Pack();
  return Status::Ok();
}

template <typename F, typename G>
void UNet2DModel::Walk(F&& f, G&& g) const {
  f(conv_in_, 0);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    const BlockSpec& spec = structure_.blocks[i];
    for (size_t j = 0; j < b.resnets.size(); ++j) {
      b.resnets[j].ForEachConv([&](const PackedConv2d& w, int) { f(w, spec.level); });
      if (j < b.attentions.size()) {
        f(b.attentions[j].qkv, spec.level);
        g(b.attentions[j], spec.level);
        f(b.attentions[j].out, spec.level);
      }
    }
    if (spec.sampler != SamplerKind::kNone) f(b.sampler, spec.sampler_conv_level());
  }
  f(conv_out_, 0);
}

double UNet2DModel::FlopsPerImage(int height, int width) const {
  return structure_.ForwardFlopsPerImage(height, width);
}

Status UNet2DModel::Prepare(int batch, int height, int width, ThreadPool* pool) {
  return PrepareLane(batch, height, width, pool ? pool->num_threads() : 1, main_);
}

Status UNet2DModel::PrepareLane(int batch, int height, int width, int threads, Lane& lane) {
  Plan& plan = lane.plan;
  Arena& arena = lane.arena;
  if (plan.batch == batch && plan.height == height && plan.width == width && plan.threads == threads &&
      arena.capacity_floats() > 0) {
    return Status::Ok();
  }
  // 64-bit sizes: on wasm32 a large batch or image would wrap size_t (see ArenaPlan).
  const uint64_t b = batch;
  uint64_t act = 0, scratch = 0, qkv = 0;
  int max_channels = 0;
  Walk(
      [&](const PackedConv2d& w, int level) {
        const auto& p = w.params();
        const Dims d = LevelDims(height, width, level);
        const Dims o = ConvOutDims(p, d);
        act = std::max({act, b * d.hw() * p.cin, b * o.hw() * p.cout});
        scratch = std::max<uint64_t>(scratch, kernels::Conv2dScratchFloats(w, batch, d.h, d.w, threads));
        max_channels = std::max({max_channels, p.cin, p.cout});
      },
      [&](const AttentionBlock& a, int level) {
        const int t = LevelDims(height, width, level).hw();
        qkv = std::max<uint64_t>(qkv, b * t * 3 * a.channels);
        scratch = std::max<uint64_t>(scratch, a.ScratchFloats(t, threads));
      });
  for (const PackedConv2d* w : {&linear_1_, &linear_2_, &temb_proj_}) {
    scratch = std::max<uint64_t>(scratch, kernels::Conv2dScratchFloats(*w, batch, 1, 1, threads));
  }
  scratch = std::max<uint64_t>(scratch, kernels::GroupNormScratchFloats(batch, max_channels));

  Plan p;
  ArenaPlan ap;
  p.batch = batch;
  p.height = height;
  p.width = width;
  p.threads = threads;
  p.input = ap.Add(b * height * width * config().in_channels);
  p.time_proj = ap.Add(b * config().block_out_channels[0]);
  p.temb_hidden = ap.Add(b * time_embed_dim_);
  p.emb = ap.Add(b * time_embed_dim_);
  p.emb_act = ap.Add(b * time_embed_dim_);
  p.temb_all = ap.Add(b * temb_proj_.params().cout);
  for (const SkipSpec& skip : structure_.skips) {
    p.skips.push_back(ap.Add(b * LevelDims(height, width, skip.level).hw() * skip.channels));
  }
  p.cur = ap.Add(act);
  p.spare = ap.Add(act);
  p.cat = ap.Add(act);
  p.norm = ap.Add(act);
  p.tmp = ap.Add(act);
  p.qkv = ap.Add(qkv);
  p.scratch = ap.Add(scratch);
  DDPM_RETURN_IF_ERROR(arena.Reserve(ap.total_floats()));
  plan = std::move(p);
  return Status::Ok();
}

void UNet2DModel::TimeEmbedding(const RunContext& ctx, const float* timesteps, size_t nt, const int64_t* class_labels,
                                size_t nl, Lane& lane) {
  Plan& plan = lane.plan;
  Arena& arena = lane.arena;
  const int b = ctx.batch, c0 = config().block_out_channels[0], ted = time_embed_dim_;
  auto report = [&](const char* name, const float* data, int channels) {
    if (hook_) hook_(name, data, Shape{b, channels});
  };
  float* tp = arena.at(plan.time_proj);
  for (int i = 0; i < b; ++i) {
    SinusoidalEmbedding(nt == 1 ? timesteps[0] : timesteps[i], c0, config().flip_sin_to_cos,
                        float(config().freq_shift), tp + size_t(i) * c0);
  }
  report("time_proj", tp, c0);

  float* hidden = arena.at(plan.temb_hidden);
  float* emb = arena.at(plan.emb);
  float* emb_act = arena.at(plan.emb_act);
  RunLinear(linear_1_, tp, b, hidden, ctx);
  kernels::SiLU(hidden, size_t(b) * ted, hidden);
  RunLinear(linear_2_, hidden, b, emb, ctx);
  report("time_embedding", emb, ted);
  if (config().num_class_embeds) {
    for (int i = 0; i < b; ++i) {
      const int64_t label = nl == 1 ? class_labels[0] : class_labels[i];
      std::memcpy(emb_act + size_t(i) * ted, class_table_.data() + label * ted, sizeof(float) * ted);
    }
    report("class_embedding", emb_act, ted);
    for (size_t i = 0; i < size_t(b) * ted; ++i) emb[i] += emb_act[i];
  }
  report("emb", emb, ted);
  // Each resnet applies SiLU to emb privately; all of them see the same SiLU(emb), so do it once.
  kernels::SiLU(emb, size_t(b) * ted, emb_act);
  RunLinear(temb_proj_, emb_act, b, arena.at(plan.temb_all), ctx);
}

Expected<Tensor> UNet2DModel::Forward(const Tensor& sample, const std::vector<int64_t>& timesteps,
                                      const std::vector<int64_t>& class_labels, ThreadPool* pool) {
  std::vector<float> t(timesteps.begin(), timesteps.end());  // timesteps[:, None].float()
  Tensor out;
  DDPM_RETURN_IF_ERROR(ForwardInto(sample, t, class_labels, &out, pool));
  return out;
}

Expected<Tensor> UNet2DModel::Forward(const Tensor& sample, float timestep, const std::vector<int64_t>& class_labels,
                                      ThreadPool* pool) {
  Tensor out;
  DDPM_RETURN_IF_ERROR(ForwardInto(sample, {timestep}, class_labels, &out, pool));
  return out;
}

Status UNet2DModel::ForwardInto(const Tensor& sample, const std::vector<float>& timesteps,
                                const std::vector<int64_t>& class_labels, Tensor* out, ThreadPool* pool) {
  DDPM_RETURN_IF_ERROR(structure_.CheckInputs(sample.shape(), timesteps, class_labels));
  const int b = int(sample.dim(0)), height = int(sample.dim(2)), width = int(sample.dim(3));
  const int64_t out_dims[4] = {b, config().out_channels, height, width};
  DDPM_RETURN_IF_ERROR(ReuseTensor(out, out_dims, "the UNet output"));
  const int threads = pool ? pool->num_threads() : 1;
  // Whole sub-batches per thread rather than every layer split over threads: no fork-join per layer
  // (~150 of them, each waiting for the slower thread on a shared machine). Not with a hook, which
  // wants the whole batch's intermediates in order.
  if (threads > 1 && !hook_ && (b % threads == 0 || b >= 2 * threads)) {
    if (lanes_.size() < size_t(threads)) lanes_.resize(threads);
    const size_t in_image = size_t(config().in_channels) * height * width;
    const size_t out_image = size_t(config().out_channels) * height * width;
    auto range = [&](int t) { return std::pair<int, int>{b * t / threads, b * (t + 1) / threads}; };
    for (int t = 0; t < threads; ++t) {  // allocations happen here, before the threads start
      const auto [i0, i1] = range(t);
      DDPM_RETURN_IF_ERROR(PrepareLane(i1 - i0, height, width, 1, lanes_[t]));
    }
    if (lane_status_.size() < size_t(threads)) lane_status_.resize(threads);
    Status* status = lane_status_.data();
    pool->ParallelFor(size_t(threads), [&](size_t t0, size_t t1, int) {
      for (size_t t = t0; t < t1; ++t) {
        const auto [i0, i1] = range(int(t));
        // One timestep (label) for all stays one; one per image is sliced.
        const bool t_all = timesteps.size() == 1, l_all = class_labels.size() <= 1;
        status[t] = ForwardLane(sample.data() + i0 * in_image, i1 - i0, height, width,
                                timesteps.data() + (t_all ? 0 : i0), t_all ? 1 : size_t(i1 - i0),
                                class_labels.empty() ? nullptr : class_labels.data() + (l_all ? 0 : i0),
                                l_all ? class_labels.size() : size_t(i1 - i0), out->data() + i0 * out_image, nullptr,
                                lanes_[t]);
      }
    });
    for (int t = 0; t < threads; ++t) DDPM_RETURN_IF_ERROR(status[t]);
    return Status::Ok();
  }
  return ForwardLane(sample.data(), b, height, width, timesteps.data(), timesteps.size(),
                     class_labels.empty() ? nullptr : class_labels.data(), class_labels.size(), out->data(), pool,
                     main_);
}

Status UNet2DModel::ForwardLane(const float* sample, int b, int height, int width, const float* timesteps, size_t nt,
                                const int64_t* class_labels, size_t nl, float* out, ThreadPool* pool, Lane& lane) {
  DDPM_RETURN_IF_ERROR(PrepareLane(b, height, width, pool ? pool->num_threads() : 1, lane));
  Plan& plan = lane.plan;
  Arena& arena = lane.arena;

  RunContext ctx;
  ctx.batch = b;
  ctx.pool = pool;
  ctx.scratch = arena.at(plan.scratch);
  ctx.norm = arena.at(plan.norm);
  ctx.tmp = arena.at(plan.tmp);
  ctx.qkv = arena.at(plan.qkv);
  ctx.temb = arena.at(plan.temb_all);
  ctx.temb_stride = temb_proj_.params().cout;
  ctx.hook = &hook_;

  // NCHW -> NHWC (and center_input_sample: 2 * sample - 1.0).
  const int cin = config().in_channels;
  const size_t hw = size_t(height) * width;
  float* x = arena.at(plan.input);
  for (int i = 0; i < b; ++i)
    for (int ch = 0; ch < cin; ++ch) {
      const float* src = sample + (size_t(i) * cin + ch) * hw;
      float* dst = x + size_t(i) * hw * cin + ch;
      for (size_t p = 0; p < hw; ++p) dst[p * cin] = config().center_input_sample ? 2.0f * src[p] - 1.0f : src[p];
    }

  TimeEmbedding(ctx, timesteps, nt, class_labels, nl, lane);

  // The blocks in order. A layer whose output is a skip writes it straight into the skip's arena slot;
  // other outputs alternate between cur and spare. A resnet that pops a skip reads [hidden, skip] from cat.
  float* cur = arena.at(plan.cur);
  float* spare = arena.at(plan.spare);
  float* cat = arena.at(plan.cat);
  auto output = [&](int push_skip, const float* in) {
    return push_skip >= 0 ? arena.at(plan.skips[push_skip]) : in == cur ? spare : cur;
  };
  float* h = arena.at(plan.skips[0]);
  Conv2d(conv_in_, x, b, height, width, h, false, ctx.scratch, pool);
  int ch = config().block_out_channels[0];
  ctx.Report("conv_in", h, height, width, ch);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& blk = blocks_[i];
    const BlockSpec& spec = structure_.blocks[i];
    Dims d = LevelDims(height, width, spec.level);
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      const ResnetSpec& r = spec.resnets[j];
      const float* in = h;
      if (r.pop_skip >= 0) {
        kernels::ConcatChannels(h, ch, arena.at(plan.skips[r.pop_skip]), structure_.skips[r.pop_skip].channels,
                                size_t(b) * d.hw(), cat);
        in = cat;
      }
      float* y = output(r.push_skip, h);
      blk.resnets[j].Forward(ctx, in, d, y);
      if (j < blk.attentions.size()) blk.attentions[j].Forward(ctx, y, d);
      h = y;
      ch = r.out_channels;
    }
    if (spec.sampler == SamplerKind::kDown) {
      float* y = output(spec.sampler_push_skip, h);
      Conv2d(blk.sampler, h, b, d.h, d.w, y, false, ctx.scratch, pool);
      h = y;
    } else if (spec.sampler == SamplerKind::kUp) {
      kernels::UpsampleNearest2x(h, b, d.h, d.w, ch, cat, pool);
      float* y = output(spec.sampler_push_skip, h);
      const Dims o = LevelDims(height, width, spec.out_level());
      Conv2d(blk.sampler, cat, b, o.h, o.w, y, false, ctx.scratch, pool);
      h = y;
    }
    d = LevelDims(height, width, spec.out_level());
    if (spec.sampler != SamplerKind::kNone) ctx.Report(spec.sampler_name, h, d.h, d.w, ch);
    ctx.Report(spec.name, h, d.h, d.w, ch);
  }

  // Out: GroupNorm, SiLU, conv_out (fused GroupNorm+SiLU unless someone watches the two separately).
  const Dims d0{height, width};
  if (hook_) {
    conv_norm_out_.Run(ctx, h, d0, ctx.norm, /*silu=*/false);
    ctx.Report("conv_norm_out", ctx.norm, height, width, ch);
    kernels::SiLU(ctx.norm, size_t(b) * hw * ch, ctx.norm);
    ctx.Report("conv_act", ctx.norm, height, width, ch);
  } else {
    conv_norm_out_.Run(ctx, h, d0, ctx.norm, /*silu=*/true);
  }
  Conv2d(conv_out_, ctx.norm, b, height, width, ctx.tmp, false, ctx.scratch, pool);
  const int co = config().out_channels;
  ctx.Report("conv_out", ctx.tmp, height, width, co);

  for (int i = 0; i < b; ++i)
    for (int c = 0; c < co; ++c) {
      const float* src = ctx.tmp + size_t(i) * hw * co + c;
      float* dst = out + (size_t(i) * co + c) * hw;
      for (size_t p = 0; p < hw; ++p) dst[p] = src[p * co];
    }
  return Status::Ok();
}

}  // namespace ddpm::nn
