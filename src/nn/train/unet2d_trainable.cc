#include "nn/train/unet2d_trainable.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/rng.h"
#include "io/diffusers_folder.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/upsample/upsample.h"
#include "nn/timestep_embedding.h"
#include "nn/train/elementwise_train.h"
#include "nn/weight_loader.h"

namespace ddpm::nn::train {

// ---- Construction ----

void UNet2DTrainable::Register() {
  const UNetStructure& s = structure_;
  const UNet2DConfig& c = s.config;
  ted_ = s.time_embed_dim;
  // diffusers' registration order: conv_in, time_embedding, class_embedding, the blocks (each its
  // attentions, resnets, sampler), conv_norm_out, conv_out.
  conv_in_.Register(ps_, s.conv_in.name, s.conv_in.params);
  linear_1_.Register(ps_, "time_embedding.linear_1", c.block_out_channels[0], ted_);
  linear_2_.Register(ps_, "time_embedding.linear_2", ted_, ted_);
  has_class_ = c.num_class_embeds.has_value();
  if (has_class_) class_table_ = ps_.Add("class_embedding.weight", {*c.num_class_embeds, ted_});
  blocks_.assign(s.blocks.size(), Block());
  for (size_t i = 0; i < s.blocks.size(); ++i) {
    const BlockSpec& spec = s.blocks[i];
    Block& b = blocks_[i];
    b.attentions.resize(spec.attentions.size());
    for (size_t j = 0; j < spec.attentions.size(); ++j) b.attentions[j].Register(ps_, spec.attentions[j]);
    b.resnets.resize(spec.resnets.size());
    for (size_t j = 0; j < spec.resnets.size(); ++j) b.resnets[j].Register(ps_, spec.resnets[j], ted_);
    if (spec.sampler != SamplerKind::kNone) b.sampler.Register(ps_, spec.sampler_conv.name, spec.sampler_conv.params);
    b.resnet_in.assign(spec.resnets.size(), nullptr);
    b.resnet_in_skip.assign(spec.resnets.size(), -1);
  }
  conv_norm_out_.Register(ps_, "conv_norm_out", s.norm_out_channels, s.norm_out_groups, s.norm_out_eps);
  conv_out_.Register(ps_, s.conv_out.name, s.conv_out.params);
}

namespace {

Expected<UNet2DConfig> ParseTrainableConfig(const JsonConfig& config) {
  DDPM_ASSIGN_OR_RETURN(UNet2DConfig c, UNet2DConfig::FromJson(config));
  if (c.dropout != 0.0) return config.Error("dropout", "must be 0 for training here (dropout is not implemented)");
  return c;
}

}  // namespace

Expected<std::unique_ptr<UNet2DTrainable>> UNet2DTrainable::Create(const JsonConfig& config,
                                                                   const SafeTensors& weights) {
  DDPM_ASSIGN_OR_RETURN(UNet2DConfig c, ParseTrainableConfig(config));
  std::unique_ptr<UNet2DTrainable> m(new UNet2DTrainable());
  m->structure_ = UNetStructure::FromConfig(c);
  m->Register();
  DDPM_RETURN_IF_ERROR(m->ps_.Allocate());
  WeightLoader wl(weights);
  for (const ParamStore::Entry& e : m->ps_.entries()) {
    const Tensor t = wl.Get(e.name, e.shape);
    std::memcpy(m->ps_.value(e.param), t.data(), sizeof(float) * e.param.size);
  }
  DDPM_RETURN_IF_ERROR(wl.Finish());
  return m;
}

Expected<std::unique_ptr<UNet2DTrainable>> UNet2DTrainable::FromPretrained(const std::string& dir) {
  DDPM_ASSIGN_OR_RETURN(UNetFiles files, ReadUNetFiles(dir));
  return Create(files.config, files.weights);
}

Expected<std::unique_ptr<UNet2DTrainable>> UNet2DTrainable::FromConfig(const JsonConfig& config, uint64_t seed) {
  DDPM_ASSIGN_OR_RETURN(UNet2DConfig c, ParseTrainableConfig(config));
  std::unique_ptr<UNet2DTrainable> m(new UNet2DTrainable());
  m->structure_ = UNetStructure::FromConfig(c);
  m->Register();
  DDPM_RETURN_IF_ERROR(m->ps_.Allocate());
  PhiloxRng rng(seed);
  const auto& entries = m->ps_.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ParamStore::Entry& e = entries[i];
    float* v = m->ps_.value(e.param);
    const size_t n = e.param.size;
    const bool is_bias = e.name.size() > 5 && e.name.compare(e.name.size() - 5, 5, ".bias") == 0;
    const bool is_norm = e.name.find("norm") != std::string::npos;  // norm1/2, group_norm, conv_norm_out
    if (e.name == "class_embedding.weight") {
      rng.Normal(v, n);
    } else if (is_norm) {
      std::fill(v, v + n, is_bias ? 0.0f : 1.0f);
    } else {
      // fan_in of a weight [out, in, ...] is its size / out; a bias takes its weight's (the previous entry).
      const ParamStore::Entry& w = is_bias ? entries[i - 1] : e;
      const double fan_in = double(w.param.size) / double(w.shape[0]);
      const float bound = float(1.0 / std::sqrt(fan_in));
      rng.Uniform(v, n);
      for (size_t k = 0; k < n; ++k) v[k] = (2.0f * v[k] - 1.0f) * bound;
    }
  }
  return m;
}

int64_t UNet2DTrainable::num_parameters() const {
  int64_t n = 0;
  for (const auto& e : ps_.entries()) n += int64_t(e.param.size);
  return n;
}

Expected<ModelFiles> UNet2DTrainable::SerializeModel() const {
  SafeTensorsWriter w;
  for (const ParamStore::Entry& e : ps_.entries()) w.AddFloat(e.name, e.shape, ps_.value(e.param));
  w.SetMetadata("format", "pt");
  ModelFiles files{structure_.config.ToJson().dump(2) + "\n", {}};
  DDPM_ASSIGN_OR_RETURN(files.weights, w.Serialize());
  return files;
}

// ---- Forward ----

Status UNet2DTrainable::PackAll() {
  DDPM_RETURN_IF_ERROR(conv_in_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(conv_out_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(linear_1_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(linear_2_.Pack(ps_));
  for (size_t i = 0; i < blocks_.size(); ++i) {
    Block& b = blocks_[i];
    for (auto& r : b.resnets) DDPM_RETURN_IF_ERROR(r.Pack(ps_));
    for (auto& a : b.attentions) DDPM_RETURN_IF_ERROR(a.Pack(ps_));
    if (structure_.blocks[i].sampler != SamplerKind::kNone) DDPM_RETURN_IF_ERROR(b.sampler.Pack(ps_));
  }
  return Status::Ok();
}

// ---- Data-parallel lanes ----

UNet2DTrainable& UNet2DTrainable::Lane(int t) { return t == 0 ? *this : *replicas_[size_t(t) - 1]; }

Status UNet2DTrainable::EnsureReplicas(int lanes) {
  while (replicas_.size() + 1 < size_t(lanes)) {
    std::unique_ptr<UNet2DTrainable> r(new UNet2DTrainable());
    r->structure_ = structure_;
    r->Register();  // the same layers in the same order: the same parameter offsets
    DDPM_RETURN_IF_ERROR(r->ps_.AllocateSharingValues(&ps_));
    replicas_.push_back(std::move(r));
  }
  if (lane_status_.size() < size_t(lanes)) lane_status_.resize(size_t(lanes));
  if (lane_in_.size() < size_t(lanes)) {
    lane_in_.resize(size_t(lanes));
    lane_out_.resize(size_t(lanes));
    lane_ts_.resize(size_t(lanes));
    lane_labels_.resize(size_t(lanes));
  }
  return Status::Ok();
}

// Rows [t·b/T, (t+1)·b/T) of a batch of b: fixed by b and the lane count, so a step repeats bit for bit.
static std::pair<int, int> LaneRows(int b, int lanes, int t) { return {b * t / lanes, b * (t + 1) / lanes}; }

// Rows [i0, i1) of an NCHW batch into *dst (reused when it has the shape already).
static Status SliceRows(const Tensor& src, int i0, int i1, Tensor* dst) {
  const int64_t dims[4] = {i1 - i0, src.dim(1), src.dim(2), src.dim(3)};
  DDPM_RETURN_IF_ERROR(ReuseTensor(dst, dims, "a lane's slice of the batch"));
  const size_t per = src.size() / size_t(src.dim(0));
  std::memcpy(dst->data(), src.data() + size_t(i0) * per, sizeof(float) * dst->size());
  return Status::Ok();
}

Status UNet2DTrainable::ForwardTrain(const Tensor& x_t, const std::vector<float>& timesteps_in,
                                     const std::vector<int64_t>& labels_in, Tensor* out, ThreadPool* pool) {
  DDPM_RETURN_IF_ERROR(structure_.CheckInputs(x_t.shape(), timesteps_in, labels_in));
  const int b = int(x_t.dim(0)), threads = pool ? pool->num_threads() : 1;
  // A batch of at least two images per thread runs as one sub-batch per thread, each lane a whole
  // forward and backward on one thread (as the inference UNet splits a batch): no fork-join per layer,
  // no serial glue between layers. Smaller batches split every layer over the pool instead.
  lanes_ = threads > 1 && b >= 2 * threads ? threads : 1;
  if (lanes_ == 1) return ForwardLane(x_t, timesteps_in, labels_in, out, pool);
  have_forward_ = false;
  lanes_batch_ = b;
  DDPM_RETURN_IF_ERROR(EnsureReplicas(lanes_));
  pool->ParallelFor(size_t(lanes_), [&](size_t t0, size_t t1, int) {
    for (size_t t = t0; t < t1; ++t) {
      const auto [i0, i1] = LaneRows(b, lanes_, int(t));
      Status& st = lane_status_[t];
      st = SliceRows(x_t, i0, i1, &lane_in_[t]);
      if (!st.ok()) continue;
      // One timestep (label) for all stays one; one per image is sliced.
      auto& ts = lane_ts_[t];
      auto& ls = lane_labels_[t];
      if (timesteps_in.size() == 1) ts.assign(1, timesteps_in[0]);
      else ts.assign(timesteps_in.begin() + i0, timesteps_in.begin() + i1);
      if (labels_in.size() <= 1) ls.assign(labels_in.begin(), labels_in.end());
      else ls.assign(labels_in.begin() + i0, labels_in.begin() + i1);
      st = Lane(int(t)).ForwardLane(lane_in_[t], ts, ls, &lane_out_[t], nullptr);
    }
  });
  for (int t = 0; t < lanes_; ++t) DDPM_RETURN_IF_ERROR(lane_status_[t]);
  const int64_t dims[4] = {b, structure_.config.out_channels, x_t.dim(2), x_t.dim(3)};
  DDPM_RETURN_IF_ERROR(ReuseTensor(out, dims, "the UNet output"));
  for (int t = 0; t < lanes_; ++t) {
    const size_t offset = size_t(LaneRows(b, lanes_, t).first) * (out->size() / size_t(b));
    std::memcpy(out->data() + offset, lane_out_[t].data(), sizeof(float) * lane_out_[t].size());
  }
  return Status::Ok();
}

Status UNet2DTrainable::Backward(const Tensor& dout, ThreadPool* pool) {
  if (lanes_ == 1) return BackwardLane(dout, pool);
  if (!have_forward_) return InvalidArgument("UNet Backward without a ForwardTrain before it");
  const int b = lanes_batch_;
  const Shape out_shape{b, structure_.config.out_channels, height_, width_};
  if (dout.shape() != out_shape)
    return InvalidArgument("UNet Backward: gradient shape " + ShapeToString(dout.shape()) + ", the forward gave " +
                           ShapeToString(out_shape));
  // Each lane's slice of d out (reusing the lane's input buffer) and its backward; a replica's
  // gradients start from zero, the owner's hold what the caller zeroed.
  pool->ParallelFor(size_t(lanes_), [&](size_t t0, size_t t1, int) {
    for (size_t t = t0; t < t1; ++t) {
      const auto [i0, i1] = LaneRows(b, lanes_, int(t));
      UNet2DTrainable& lane = Lane(int(t));
      Status& st = lane_status_[t];
      st = SliceRows(dout, i0, i1, &lane_in_[t]);
      if (!st.ok()) continue;
      if (t > 0) lane.ZeroGrad();
      st = lane.BackwardLane(lane_in_[t], nullptr);
    }
  });
  for (int t = 0; t < lanes_; ++t) DDPM_RETURN_IF_ERROR(lane_status_[t]);
  // Parameter gradients: the owner's plus each replica's, in lane order, split over the pool by range.
  const size_t total = ps_.total();
  pool->ParallelFor(total, [&](size_t i0, size_t i1, int) {
    float* g = ps_.grads();
    for (size_t r = 0; r < replicas_.size() && r + 1 < size_t(lanes_); ++r) {
      const float* gr = replicas_[r]->ps_.grads();
      for (size_t i = i0; i < i1; ++i) g[i] += gr[i];
    }
  }, 1024);
  // d loss / d x_t of the whole batch, from the lanes' slices.
  const Shape& first = dinput_.shape();
  const int64_t dims[4] = {b, first[1], first[2], first[3]};
  DDPM_RETURN_IF_ERROR(ReuseTensor(&dinput_all_, dims, "the input gradient"));
  for (int t = 0; t < lanes_; ++t) {
    const Tensor& d = Lane(t).dinput_;
    const size_t offset = size_t(LaneRows(b, lanes_, t).first) * (dinput_all_.size() / size_t(b));
    std::memcpy(dinput_all_.data() + offset, d.data(), sizeof(float) * d.size());
  }
  return Status::Ok();
}

Status UNet2DTrainable::ForwardLane(const Tensor& x_t, const std::vector<float>& timesteps_in,
                                    const std::vector<int64_t>& labels_in, Tensor* out, ThreadPool* pool) {
  DDPM_RETURN_IF_ERROR(structure_.CheckInputs(x_t.shape(), timesteps_in, labels_in));
  have_forward_ = have_backward_ = false;
  const int b = int(x_t.dim(0)), c0 = structure_.config.block_out_channels[0];
  batch_ = b;
  height_ = int(x_t.dim(2));
  width_ = int(x_t.dim(3));
  const size_t hw = size_t(height_) * width_;
  TrainContext ctx{b, pool, &ps_, &ws_};
  ws_.set_pool(pool);
  DDPM_RETURN_IF_ERROR(PackAll());  // the weights changed since the last step

  // Input NCHW -> NHWC (center_input_sample: 2·x − 1).
  const int cin = structure_.config.in_channels;
  DDPM_RETURN_IF_ERROR(EnsureShape(&x_in_, {b, height_, width_, cin}, "input"));
  for (int i = 0; i < b; ++i)
    for (int ch = 0; ch < cin; ++ch) {
      const float* src = x_t.data() + (size_t(i) * cin + ch) * hw;
      float* dst = x_in_.data() + size_t(i) * hw * cin + ch;
      for (size_t p = 0; p < hw; ++p) dst[p * cin] = structure_.config.center_input_sample ? 2.0f * src[p] - 1.0f : src[p];
    }

  // Time (and class) embedding: emb = linear_2(SiLU(linear_1(sinusoid(t)))) [+ class_embedding(label)].
  DDPM_RETURN_IF_ERROR(EnsureShape(&tp_, {b, c0}, "time_proj"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&th_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&ta_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&emb_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&emb_act_, {b, ted_}, "time embedding"));
  for (int i = 0; i < b; ++i)
    SinusoidalEmbedding(timesteps_in.size() == 1 ? timesteps_in[0] : timesteps_in[i], c0, structure_.config.flip_sin_to_cos,
                        float(structure_.config.freq_shift), tp_.data() + size_t(i) * c0);
  DDPM_RETURN_IF_ERROR(linear_1_.Forward(ctx, tp_.data(), b, th_.data()));
  kernels::SiLU(th_.data(), th_.size(), ta_.data());
  DDPM_RETURN_IF_ERROR(linear_2_.Forward(ctx, ta_.data(), b, emb_.data()));
  labels_.clear();
  if (has_class_) {
    for (int i = 0; i < b; ++i) labels_.push_back(labels_in.size() == 1 ? labels_in[0] : labels_in[i]);
    EmbeddingForward(emb_act_.data(), ps_.value(class_table_), labels_, ted_);
    for (size_t i = 0; i < emb_.size(); ++i) emb_[i] += emb_act_[i];
  }
  kernels::SiLU(emb_.data(), emb_.size(), emb_act_.data());  // every resnet's SiLU(emb), computed once

  // The blocks in order (UNetStructure): skips pushed and popped as it lists them.
  DDPM_RETURN_IF_ERROR(EnsureShape(&conv_in_out_, {b, height_, width_, c0}, "conv_in output"));
  DDPM_RETURN_IF_ERROR(conv_in_.Forward(ctx, x_in_.data(), height_, width_, conv_in_out_.data()));
  skips_.assign(structure_.skips.size(), nullptr);
  skips_[0] = conv_in_out_.data();
  const float* h = conv_in_out_.data();
  int h_skip = 0;  // the skip h is, or -1
  int ch = c0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    Block& blk = blocks_[i];
    const BlockSpec& spec = structure_.blocks[i];
    const Dims d = LevelDims(spec.level);
    const size_t rows = size_t(b) * d.hw();
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      const ResnetSpec& r = spec.resnets[j];
      blk.resnet_in[j] = h;
      blk.resnet_in_skip[j] = h_skip;
      const float* in = h;
      if (r.pop_skip >= 0) {  // [hidden, skip]
        const int sc = structure_.skips[r.pop_skip].channels;
        DDPM_ASSIGN_OR_RETURN(float* cat, ws_.Get(Workspace::kModel0, rows * (ch + sc)));
        ParallelConcatChannels(h, ch, skips_[r.pop_skip], sc, rows, cat, pool);
        in = cat;
      }
      DDPM_RETURN_IF_ERROR(blk.resnets[j].Forward(ctx, in, d, emb_act_.data()));
      h = blk.resnets[j].y.data();
      if (j < blk.attentions.size()) {
        DDPM_RETURN_IF_ERROR(blk.attentions[j].Forward(ctx, h, d));
        h = blk.attentions[j].y.data();
      }
      ch = r.out_channels;
      h_skip = r.push_skip;
      if (h_skip >= 0) skips_[h_skip] = h;
    }
    if (spec.sampler != SamplerKind::kNone) {
      blk.sampler_in = h;
      blk.sampler_in_skip = h_skip;
      const Dims o = LevelDims(spec.out_level());
      DDPM_RETURN_IF_ERROR(EnsureShape(&blk.sampler_out, {b, o.h, o.w, ch}, "sampler output"));
      if (spec.sampler == SamplerKind::kDown) {
        DDPM_RETURN_IF_ERROR(blk.sampler.Forward(ctx, h, d.h, d.w, blk.sampler_out.data()));
      } else {
        DDPM_ASSIGN_OR_RETURN(float* up, ws_.Get(Workspace::kModel0, size_t(b) * o.hw() * ch));
        kernels::UpsampleNearest2x(h, b, d.h, d.w, ch, up, pool);
        DDPM_RETURN_IF_ERROR(blk.sampler.Forward(ctx, up, o.h, o.w, blk.sampler_out.data()));
      }
      h = blk.sampler_out.data();
      h_skip = spec.sampler_push_skip;
      if (h_skip >= 0) skips_[h_skip] = h;
    }
  }
  h_last_ = h;

  // Out: GroupNorm + SiLU, conv_out; NHWC -> NCHW.
  mean_out_.resize(size_t(b) * conv_norm_out_.groups);
  rstd_out_.resize(mean_out_.size());
  DDPM_ASSIGN_OR_RETURN(float* act, ws_.Get(Workspace::kRecompute, size_t(b) * hw * c0));
  const GroupNormSpec so = conv_norm_out_.Spec(b, int(hw), /*silu=*/true);
  DDPM_ASSIGN_OR_RETURN(float* scratch, ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())));
  GroupNormForward(act, mean_out_.data(), rstd_out_.data(), h, ps_.value(conv_norm_out_.gamma),
                   ps_.value(conv_norm_out_.beta), so, scratch, pool);
  const int co = structure_.config.out_channels;
  DDPM_ASSIGN_OR_RETURN(float* y, ws_.Get(Workspace::kModel1, size_t(b) * hw * co));
  DDPM_RETURN_IF_ERROR(conv_out_.Forward(ctx, act, height_, width_, y));
  const int64_t out_dims[4] = {b, co, height_, width_};
  DDPM_RETURN_IF_ERROR(ReuseTensor(out, out_dims, "the UNet output"));
  for (int i = 0; i < b; ++i)
    for (int c = 0; c < co; ++c) {
      const float* src = y + size_t(i) * hw * co + c;
      float* dst = out->data() + (size_t(i) * co + c) * hw;
      for (size_t p = 0; p < hw; ++p) dst[p] = src[p * co];
    }
  have_forward_ = true;
  return Status::Ok();
}

// ---- Backward ----

Status UNet2DTrainable::BackwardLane(const Tensor& dout, ThreadPool* pool) {
  if (!have_forward_) return InvalidArgument("UNet Backward without a ForwardTrain before it");
  const int b = batch_, c0 = structure_.config.block_out_channels[0], co = structure_.config.out_channels;
  const Shape out_shape{b, co, height_, width_};
  if (dout.shape() != out_shape)
    return InvalidArgument("UNet Backward: gradient shape " + ShapeToString(dout.shape()) + ", the forward gave " +
                           ShapeToString(out_shape));
  const size_t hw = size_t(height_) * width_;
  TrainContext ctx{b, pool, &ps_, &ws_};
  ws_.set_pool(pool);

  // Gradient buffers: one per skip, two for the hidden state, one for SiLU(emb).
  dskips_.resize(skips_.size());
  for (size_t s = 0; s < skips_.size(); ++s) {
    const SkipSpec& skip = structure_.skips[s];
    const Dims d = LevelDims(skip.level);
    DDPM_RETURN_IF_ERROR(EnsureShape(&dskips_[s], {b, d.h, d.w, skip.channels}, "skip gradient"));
    ParallelZero(dskips_[s].data(), dskips_[s].size(), pool);
  }
  // The hidden state reaches a level with up to the widest block's channels (after an upsampler).
  size_t max_hidden = 0;
  for (const SkipSpec& skip : structure_.skips)
    max_hidden = std::max(max_hidden, size_t(b) * LevelDims(skip.level).hw() * structure_.widest_channels());
  for (Tensor& t : dh_) DDPM_RETURN_IF_ERROR(EnsureShape(&t, {int64_t(max_hidden)}, "hidden gradient"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&d_temb_act_, {b, ted_}, "time embedding gradient"));
  std::fill(d_temb_act_.data(), d_temb_act_.data() + d_temb_act_.size(), 0.0f);
  int cur = 0;
  auto fresh = [&](size_t floats) {  // the other hidden-gradient buffer, zeroed
    cur ^= 1;
    ParallelZero(dh_[cur].data(), floats, pool);
    return dh_[cur].data();
  };
  // Where the gradient of a layer's input goes: straight into its skip's when the input is a skip
  // (the pop that read it has already added there), else a fresh hidden-gradient buffer.
  auto input_gradient = [&](int skip, size_t floats) { return skip >= 0 ? dskips_[skip].data() : fresh(floats); };

  // Out: conv_out, then GroupNorm + SiLU.
  DDPM_ASSIGN_OR_RETURN(float* dy, ws_.Get(Workspace::kModel1, size_t(b) * hw * co));
  for (int i = 0; i < b; ++i)
    for (int c = 0; c < co; ++c) {
      const float* src = dout.data() + (size_t(i) * co + c) * hw;
      float* dst = dy + size_t(i) * hw * co + c;
      for (size_t p = 0; p < hw; ++p) dst[p * co] = src[p];
    }
  const GroupNormSpec so = conv_norm_out_.Spec(b, int(hw), /*silu=*/true);
  DDPM_ASSIGN_OR_RETURN(float* act, ws_.Get(Workspace::kRecompute, size_t(b) * hw * c0));
  DDPM_ASSIGN_OR_RETURN(float* scratch, ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())));
  GroupNormApply(act, h_last_, mean_out_.data(), rstd_out_.data(), ps_.value(conv_norm_out_.gamma),
                 ps_.value(conv_norm_out_.beta), so, scratch, pool);
  DDPM_ASSIGN_OR_RETURN(float* dact, ws_.Zeroed(Workspace::kModel2, size_t(b) * hw * c0));
  DDPM_RETURN_IF_ERROR(conv_out_.Backward(ctx, dact, dy, act, height_, width_));
  float* dh = fresh(size_t(b) * hw * c0);  // d loss / d h, the hidden state the walk back has reached
  DDPM_ASSIGN_OR_RETURN(scratch, ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())));
  GroupNormBackward(dh, ps_.grad(conv_norm_out_.gamma), ps_.grad(conv_norm_out_.beta), nullptr, nullptr, dact, h_last_,
                    mean_out_.data(), rstd_out_.data(), ps_.value(conv_norm_out_.gamma), ps_.value(conv_norm_out_.beta),
                    so, scratch, pool);

  // The blocks in reverse: each one's sampler, then its resnets (and their attentions) last-first.
  for (size_t i = blocks_.size(); i-- > 0;) {
    Block& blk = blocks_[i];
    const BlockSpec& spec = structure_.blocks[i];
    const Dims d = LevelDims(spec.level);
    const size_t rows = size_t(b) * d.hw();
    if (spec.sampler != SamplerKind::kNone) {
      const int ch = spec.resnets.back().out_channels;
      float* dx = input_gradient(blk.sampler_in_skip, rows * ch);
      if (spec.sampler == SamplerKind::kDown) {
        DDPM_RETURN_IF_ERROR(blk.sampler.Backward(ctx, dx, dh, blk.sampler_in, d.h, d.w));
      } else {
        const Dims o = LevelDims(spec.out_level());
        DDPM_ASSIGN_OR_RETURN(float* up, ws_.Get(Workspace::kModel0, size_t(b) * o.hw() * ch));
        kernels::UpsampleNearest2x(blk.sampler_in, b, d.h, d.w, ch, up, pool);
        DDPM_ASSIGN_OR_RETURN(float* dup, ws_.Zeroed(Workspace::kModel1, size_t(b) * o.hw() * ch));
        DDPM_RETURN_IF_ERROR(blk.sampler.Backward(ctx, dup, dh, up, o.h, o.w));
        UpsampleNearest2xBackward(dx, dup, b, d.h, d.w, ch, pool);
      }
      dh = dx;
    }
    for (size_t j = blk.resnets.size(); j-- > 0;) {
      const ResnetSpec& rs = spec.resnets[j];
      ResnetTrain& r = blk.resnets[j];
      const float* dr = dh;
      if (j < blk.attentions.size()) {
        DDPM_ASSIGN_OR_RETURN(float* t, ws_.Zeroed(Workspace::kModel3, rows * r.out_channels));
        DDPM_RETURN_IF_ERROR(blk.attentions[j].Backward(ctx, t, dh, r.y.data(), d));
        dr = t;
      }
      const int hc = rs.hidden_channels;
      if (rs.pop_skip >= 0) {  // its input was [hidden, skip]
        const int sc = structure_.skips[rs.pop_skip].channels;
        DDPM_ASSIGN_OR_RETURN(float* cat, ws_.Get(Workspace::kModel0, rows * (hc + sc)));
        ParallelConcatChannels(blk.resnet_in[j], hc, skips_[rs.pop_skip], sc, rows, cat, pool);
        DDPM_ASSIGN_OR_RETURN(float* dcat, ws_.Zeroed(Workspace::kModel1, rows * (hc + sc)));
        DDPM_RETURN_IF_ERROR(r.Backward(ctx, dcat, d_temb_act_.data(), dr, cat, d, emb_act_.data()));
        float* dx = input_gradient(blk.resnet_in_skip[j], rows * hc);
        ConcatChannelsBackward(dx, dskips_[rs.pop_skip].data(), dcat, hc, sc, rows, pool);
        dh = dx;
      } else {
        float* dx = input_gradient(blk.resnet_in_skip[j], rows * hc);
        DDPM_RETURN_IF_ERROR(r.Backward(ctx, dx, d_temb_act_.data(), dr, blk.resnet_in[j], d, emb_act_.data()));
        dh = dx;
      }
    }
  }

  // conv_in, and d loss / d x_t (NCHW; center_input_sample scales it by 2).
  const int cin = structure_.config.in_channels;
  DDPM_ASSIGN_OR_RETURN(float* dx, ws_.Zeroed(Workspace::kModel0, size_t(b) * hw * cin));
  DDPM_RETURN_IF_ERROR(conv_in_.Backward(ctx, dx, dskips_[0].data(), x_in_.data(), height_, width_));
  DDPM_RETURN_IF_ERROR(EnsureShape(&dinput_, {b, cin, height_, width_}, "input gradient"));
  const float f = structure_.config.center_input_sample ? 2.0f : 1.0f;
  for (int i = 0; i < b; ++i)
    for (int c = 0; c < cin; ++c) {
      const float* src = dx + size_t(i) * hw * cin + c;
      float* dst = dinput_.data() + (size_t(i) * cin + c) * hw;
      for (size_t p = 0; p < hw; ++p) dst[p] = f * src[p * cin];
    }

  // Time embedding: SiLU(emb) -> emb -> class rows, linear_2, SiLU, linear_1.
  const size_t ne = size_t(b) * ted_;
  DDPM_ASSIGN_OR_RETURN(float* demb, ws_.Zeroed(Workspace::kSmall, 3 * ne));
  float* dta = demb + ne;
  float* dth = demb + 2 * ne;
  SiLUBackward(demb, d_temb_act_.data(), emb_.data(), ne);
  if (has_class_) EmbeddingBackward(ps_.grad(class_table_), demb, labels_, ted_);
  DDPM_RETURN_IF_ERROR(linear_2_.Backward(ctx, dta, demb, ta_.data(), size_t(b)));
  SiLUBackward(dth, dta, th_.data(), ne);
  DDPM_RETURN_IF_ERROR(linear_1_.Backward(ctx, nullptr, dth, tp_.data(), size_t(b)));
  have_backward_ = true;
  return Status::Ok();
}

Status UNet2DTrainable::InputGradient(Tensor* dx) const {
  if (!have_backward_) return InvalidArgument("UNet InputGradient: no Backward has run since the last forward");
  *dx = lanes_ > 1 ? dinput_all_ : dinput_;
  return Status::Ok();
}

// ---- Accounting ----

TrainMemory UNet2DTrainable::memory() const {
  TrainMemory m;
  m.parameters = 2 * ps_.total() * sizeof(float);
  auto bytes = [](const Tensor& t) { return t.size() * sizeof(float); };
  size_t saved = 0;
  for (const Tensor* t : {&x_in_, &tp_, &th_, &ta_, &emb_, &emb_act_, &conv_in_out_}) saved += bytes(*t);
  saved += 2 * mean_out_.size() * sizeof(float);
  for (const Block& b : blocks_) {
    for (const auto& r : b.resnets) saved += r.saved_bytes();
    for (const auto& a : b.attentions) saved += a.saved_bytes();
    saved += bytes(b.sampler_out);
  }
  m.saved = saved;
  size_t grads = bytes(dh_[0]) + bytes(dh_[1]) + bytes(d_temb_act_) + bytes(dinput_);
  for (const Tensor& t : dskips_) grads += bytes(t);
  m.gradients = grads;
  m.workspace = ws_.bytes();
  for (size_t r = 0; r < replicas_.size() && r + 1 < size_t(lanes_); ++r) {  // the other lanes' share
    const TrainMemory lm = replicas_[r]->memory();
    m.parameters += lm.parameters / 2;  // their own gradients; the values are the owner's
    m.saved += lm.saved;
    m.gradients += lm.gradients;
    m.workspace += lm.workspace;
  }
  return m;
}

double UNet2DTrainable::ForwardFlopsPerImage(int height, int width) const {
  return structure_.ForwardFlopsPerImage(height, width);
}

}  // namespace ddpm::nn::train
