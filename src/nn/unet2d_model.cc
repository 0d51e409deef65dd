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
  m->config_ = std::move(c);
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
  const UNet2DConfig& c = config_;
  const int n = int(c.block_out_channels.size());
  const int c0 = c.block_out_channels[0];
  const int groups = c.norm_num_groups;
  const double eps = c.norm_eps;
  const bool ss = c.scale_shift();
  time_embed_dim_ = c.time_embed_dim();
  auto head_dim = [&](int channels) { return c.attention_head_dim ? *c.attention_head_dim : channels; };

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
  StackedLinear temb(time_embed_dim_);

  conv_in_ = LoadConv(wl, "conv_in", ConvParams(c.in_channels, c0, 3, 1, 1));
  skip_channels_ = {c0};
  skip_levels_ = {0};

  int out = c0;
  for (int i = 0; i < n; ++i) {
    const int in = out;
    out = c.block_out_channels[i];
    DownBlock b;
    b.name = "down_blocks." + std::to_string(i);
    const bool attn = c.down_block_types[i] == "AttnDownBlock2D";
    for (int j = 0; j < c.layers_per_block; ++j) {
      const std::string idx = std::to_string(j);
      b.resnets.emplace_back().Load(wl, b.name + ".resnets." + idx, j == 0 ? in : out, out, groups, eps, ss, 1.0,
                                    &temb);
      if (attn) b.attentions.emplace_back().Load(wl, b.name + ".attentions." + idx, out, head_dim(out), groups, eps, 1.0);
      skip_channels_.push_back(out);
      skip_levels_.push_back(i);
    }
    if (i != n - 1) {
      b.has_downsample = true;
      kernels::Conv2dParams p = ConvParams(out, out, 3, 2, 1);
      if (c.downsample_padding == 0) p.pad_top = p.pad_left = 0;  // F.pad(x, (0, 1, 0, 1)), then padding 0
      b.downsample = LoadConv(wl, b.name + ".downsamplers.0.conv", p);
      b.downsample_name = b.name + ".downsamplers.0";
      skip_channels_.push_back(out);
      skip_levels_.push_back(i + 1);
    }
    down_.push_back(std::move(b));
  }

  if (!c.mid_block_type.empty()) {
    const int ch = c.block_out_channels.back();
    mid_.present = true;
    mid_.resnets.resize(2);
    mid_.resnets[0].Load(wl, "mid_block.resnets.0", ch, ch, groups, eps, ss, c.mid_block_scale_factor, &temb);
    if (c.add_attention) {
      // UNetMidBlock2D: attn_groups = attn_norm_num_groups, else resnet_groups under "default" and no
      // group_norm at all under "scale_shift".
      const int attn_groups = c.attn_norm_num_groups ? *c.attn_norm_num_groups : (ss ? 0 : groups);
      mid_.attentions.emplace_back().Load(wl, "mid_block.attentions.0", ch, head_dim(ch), attn_groups, eps,
                                          c.mid_block_scale_factor);
    }
    mid_.resnets[1].Load(wl, "mid_block.resnets.1", ch, ch, groups, eps, ss, c.mid_block_scale_factor, &temb);
  }

  std::vector<int> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  out = rev[0];
  for (int i = 0; i < n; ++i) {
    const int prev = out;
    out = rev[i];
    const int in = rev[std::min(i + 1, n - 1)];
    UpBlock b;
    b.name = "up_blocks." + std::to_string(i);
    const bool attn = c.up_block_types[i] == "AttnUpBlock2D";
    for (int j = 0; j <= c.layers_per_block; ++j) {
      const std::string idx = std::to_string(j);
      const int skip = j == c.layers_per_block ? in : out;
      const int rin = j == 0 ? prev : out;
      b.resnets.emplace_back().Load(wl, b.name + ".resnets." + idx, rin + skip, out, groups, eps, ss, 1.0, &temb);
      if (attn) b.attentions.emplace_back().Load(wl, b.name + ".attentions." + idx, out, head_dim(out), groups, eps, 1.0);
    }
    if (i != n - 1) {
      b.has_upsample = true;
      b.upsample = LoadConv(wl, b.name + ".upsamplers.0.conv", ConvParams(out, out, 3, 1, 1));
      b.upsample_name = b.name + ".upsamplers.0";
    }
    up_.push_back(std::move(b));
  }

  conv_norm_out_.Load(wl, "conv_norm_out", c0, groups, eps);
  conv_out_ = LoadConv(wl, "conv_out", ConvParams(c0, c.out_channels, 3, 1, 1));
  temb_proj_ = temb.Pack();

  return Status::Ok();
}

template <typename F, typename G>
void UNet2DModel::Walk(F&& f, G&& g) const {
  const int n = int(down_.size());
  auto resnet = [&](const ResnetBlock& r, int level) {
    r.ForEachConv([&](const PackedConv2d& w, int) { f(w, level); });
  };
  auto attention = [&](const AttentionBlock& a, int level) {
    f(a.qkv, level);
    g(a, level);
    f(a.out, level);
  };
  f(conv_in_, 0);
  for (int i = 0; i < n; ++i) {
    const DownBlock& b = down_[i];
    for (size_t j = 0; j < b.resnets.size(); ++j) {
      resnet(b.resnets[j], i);
      if (!b.attentions.empty()) attention(b.attentions[j], i);
    }
    if (b.has_downsample) f(b.downsample, i);
  }
  if (mid_.present) {
    resnet(mid_.resnets[0], n - 1);
    for (const auto& a : mid_.attentions) attention(a, n - 1);
    resnet(mid_.resnets[1], n - 1);
  }
  for (int i = 0; i < n; ++i) {
    const UpBlock& b = up_[i];
    for (size_t j = 0; j < b.resnets.size(); ++j) {
      resnet(b.resnets[j], n - 1 - i);
      if (!b.attentions.empty()) attention(b.attentions[j], n - 1 - i);
    }
    if (b.has_upsample) f(b.upsample, n - 2 - i);  // runs on the upsampled map
  }
  f(conv_out_, 0);
}

double UNet2DModel::FlopsPerImage(int height, int width) const {
  double flops = 0;
  Walk(
      [&](const PackedConv2d& w, int level) {
        const auto& p = w.params();
        const Dims o = ConvOutDims(p, LevelDims(height, width, level));
        flops += 2.0 * o.hw() * p.cout * p.cin * p.kh * p.kw;
      },
      [&](const AttentionBlock& a, int level) {
        const double t = LevelDims(height, width, level).hw();
        flops += 4.0 * t * t * a.channels;  // q·kᵀ and p·v
      });
  for (const PackedConv2d* w : {&linear_1_, &linear_2_, &temb_proj_}) {
    flops += 2.0 * w->params().cin * w->params().cout;
  }
  return flops;
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
  p.input = ap.Add(b * height * width * config_.in_channels);
  p.time_proj = ap.Add(b * config_.block_out_channels[0]);
  p.temb_hidden = ap.Add(b * time_embed_dim_);
  p.emb = ap.Add(b * time_embed_dim_);
  p.emb_act = ap.Add(b * time_embed_dim_);
  p.temb_all = ap.Add(b * temb_proj_.params().cout);
  for (size_t i = 0; i < skip_channels_.size(); ++i) {
    p.skips.push_back(ap.Add(b * LevelDims(height, width, skip_levels_[i]).hw() * skip_channels_[i]));
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

Status UNet2DModel::CheckInputs(const Tensor& sample, const std::vector<float>& timesteps,
                                const std::vector<int64_t>& class_labels) const {
  const UNet2DConfig& c = config_;
  if (sample.rank() != 4) {
    return InvalidArgument("sample must be NCHW (rank 4), got shape " + ShapeToString(sample.shape()));
  }
  const int64_t batch = sample.dim(0);
  if (batch <= 0) return InvalidArgument("sample batch size must be positive");
  if (sample.dim(1) != c.in_channels) {
    return InvalidArgument("sample has " + std::to_string(sample.dim(1)) + " channels, the model expects in_channels = " +
                           std::to_string(c.in_channels));
  }
  const int64_t mult = int64_t(1) << (c.block_out_channels.size() - 1);
  for (int axis : {2, 3}) {
    if (sample.dim(axis) <= 0 || sample.dim(axis) % mult != 0 || sample.dim(axis) > 65536) {
      return InvalidArgument(std::string("sample ") + (axis == 2 ? "height " : "width ") +
                             std::to_string(sample.dim(axis)) + " must be a positive multiple of " +
                             std::to_string(mult) + " (the UNet halves it " +
                             std::to_string(c.block_out_channels.size() - 1) + " times)");
    }
  }
  if (timesteps.size() != 1 && int64_t(timesteps.size()) != batch) {
    return InvalidArgument("got " + std::to_string(timesteps.size()) + " timesteps for a batch of " +
                           std::to_string(batch) + " (need 1 or " + std::to_string(batch) + ")");
  }
  for (float t : timesteps) {
    if (!std::isfinite(t)) return InvalidArgument("timestep is not finite");
  }
  if (!c.num_class_embeds) {
    if (!class_labels.empty()) {
      return InvalidArgument("class_labels given, but the model has no class embedding (num_class_embeds is null)");
    }
    return Status::Ok();
  }
  if (class_labels.empty()) {
    return InvalidArgument("class_labels are required: the model has num_class_embeds = " +
                           std::to_string(*c.num_class_embeds));
  }
  if (class_labels.size() != 1 && int64_t(class_labels.size()) != batch) {
    return InvalidArgument("got " + std::to_string(class_labels.size()) + " class labels for a batch of " +
                           std::to_string(batch));
  }
  for (int64_t l : class_labels) {
    if (l < 0 || l >= *c.num_class_embeds) {
      return InvalidArgument("class label " + std::to_string(l) + " is out of range [0, " +
                             std::to_string(*c.num_class_embeds) + ")");
    }
  }
  return Status::Ok();
}

void UNet2DModel::TimeEmbedding(const RunContext& ctx, const float* timesteps, size_t nt, const int64_t* class_labels,
                                size_t nl, Lane& lane) {
  Plan& plan = lane.plan;
  Arena& arena = lane.arena;
  const int b = ctx.batch, c0 = config_.block_out_channels[0], ted = time_embed_dim_;
  auto report = [&](const char* name, const float* data, int channels) {
    if (hook_) hook_(name, data, Shape{b, channels});
  };
  float* tp = arena.at(plan.time_proj);
  for (int i = 0; i < b; ++i) {
    SinusoidalEmbedding(nt == 1 ? timesteps[0] : timesteps[i], c0, config_.flip_sin_to_cos,
                        float(config_.freq_shift), tp + size_t(i) * c0);
  }
  report("time_proj", tp, c0);

  float* hidden = arena.at(plan.temb_hidden);
  float* emb = arena.at(plan.emb);
  float* emb_act = arena.at(plan.emb_act);
  RunLinear(linear_1_, tp, b, hidden, ctx);
  kernels::SiLU(hidden, size_t(b) * ted, hidden);
  RunLinear(linear_2_, hidden, b, emb, ctx);
  report("time_embedding", emb, ted);
  if (config_.num_class_embeds) {
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
  DDPM_RETURN_IF_ERROR(CheckInputs(sample, timesteps, class_labels));
  const int b = int(sample.dim(0)), height = int(sample.dim(2)), width = int(sample.dim(3));
  const int64_t out_dims[4] = {b, config_.out_channels, height, width};
  DDPM_RETURN_IF_ERROR(ReuseTensor(out, out_dims, "the UNet output"));
  const int threads = pool ? pool->num_threads() : 1;
  // Whole sub-batches per thread rather than every layer split over threads: no fork-join per layer
  // (~150 of them, each waiting for the slower thread on a shared machine). Not with a hook, which
  // wants the whole batch's intermediates in order.
  if (threads > 1 && !hook_ && (b % threads == 0 || b >= 2 * threads)) {
    if (lanes_.size() < size_t(threads)) lanes_.resize(threads);
    const size_t in_image = size_t(config_.in_channels) * height * width;
    const size_t out_image = size_t(config_.out_channels) * height * width;
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
  const int n = int(down_.size());
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
  const int cin = config_.in_channels;
  const size_t hw = size_t(height) * width;
  float* x = arena.at(plan.input);
  for (int i = 0; i < b; ++i)
    for (int ch = 0; ch < cin; ++ch) {
      const float* src = sample + (size_t(i) * cin + ch) * hw;
      float* dst = x + size_t(i) * hw * cin + ch;
      for (size_t p = 0; p < hw; ++p) dst[p * cin] = config_.center_input_sample ? 2.0f * src[p] - 1.0f : src[p];
    }

  TimeEmbedding(ctx, timesteps, nt, class_labels, nl, lane);

  // Down: every layer's output is a skip connection, written straight into its own arena slot.
  size_t s = 0;
  float* h = arena.at(plan.skips[s++]);
  Conv2d(conv_in_, x, b, height, width, h, false, ctx.scratch, pool);
  int ch = config_.block_out_channels[0];
  ctx.Report("conv_in", h, height, width, ch);
  for (int i = 0; i < n; ++i) {
    const DownBlock& blk = down_[i];
    Dims d = LevelDims(height, width, i);
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      float* y = arena.at(plan.skips[s++]);
      blk.resnets[j].Forward(ctx, h, d, y);
      if (!blk.attentions.empty()) blk.attentions[j].Forward(ctx, y, d);
      h = y;
      ch = blk.resnets[j].cout;
    }
    if (blk.has_downsample) {
      float* y = arena.at(plan.skips[s++]);
      Conv2d(blk.downsample, h, b, d.h, d.w, y, false, ctx.scratch, pool);
      d = LevelDims(height, width, i + 1);
      ctx.Report(blk.downsample_name, y, d.h, d.w, ch);
      h = y;
    }
    ctx.Report(blk.name, h, d.h, d.w, ch);
  }

  float* cur = arena.at(plan.cur);
  float* spare = arena.at(plan.spare);
  float* cat = arena.at(plan.cat);
  if (mid_.present) {
    const Dims d = LevelDims(height, width, n - 1);
    mid_.resnets[0].Forward(ctx, h, d, cur);
    for (const auto& a : mid_.attentions) a.Forward(ctx, cur, d);
    mid_.resnets[1].Forward(ctx, cur, d, spare);
    h = spare;
    ctx.Report("mid_block", h, d.h, d.w, ch);
  }

  // Up: each resnet pops the last skip and reads [hidden, skip] concatenated along channels.
  for (int i = 0; i < n; ++i) {
    const UpBlock& blk = up_[i];
    Dims d = LevelDims(height, width, n - 1 - i);
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      --s;
      kernels::ConcatChannels(h, ch, arena.at(plan.skips[s]), skip_channels_[s], size_t(b) * d.hw(), cat);
      blk.resnets[j].Forward(ctx, cat, d, cur);
      if (!blk.attentions.empty()) blk.attentions[j].Forward(ctx, cur, d);
      h = cur;
      ch = blk.resnets[j].cout;
    }
    if (blk.has_upsample) {
      kernels::UpsampleNearest2x(h, b, d.h, d.w, ch, cat, pool);
      d = LevelDims(height, width, n - 2 - i);
      Conv2d(blk.upsample, cat, b, d.h, d.w, cur, false, ctx.scratch, pool);
      ctx.Report(blk.upsample_name, cur, d.h, d.w, ch);
      h = cur;
    }
    ctx.Report(blk.name, h, d.h, d.w, ch);
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
  const int co = config_.out_channels;
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
