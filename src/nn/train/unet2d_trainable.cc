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
  const UNet2DConfig& c = config_;
  const int n = int(c.block_out_channels.size());
  const int c0 = c.block_out_channels[0], groups = c.norm_num_groups;
  const double eps = c.norm_eps;
  const bool ss = c.scale_shift();
  ted_ = c.time_embed_dim();
  auto head_dim = [&](int channels) { return c.attention_head_dim ? *c.attention_head_dim : channels; };

  // diffusers' registration order: conv_in, time_embedding, class_embedding, down, mid, up, out.
  conv_in_.Register(ps_, "conv_in", ConvParams(c.in_channels, c0, 3, 1, 1));
  linear_1_.Register(ps_, "time_embedding.linear_1", c0, ted_);
  linear_2_.Register(ps_, "time_embedding.linear_2", ted_, ted_);
  has_class_ = c.num_class_embeds.has_value();
  if (has_class_) class_table_ = ps_.Add("class_embedding.weight", {*c.num_class_embeds, ted_});
  skip_channels_ = {c0};
  skip_levels_ = {0};

  int out = c0;
  down_.resize(n);
  for (int i = 0; i < n; ++i) {
    const int in = out;
    out = c.block_out_channels[i];
    DownBlock& b = down_[i];
    const std::string name = "down_blocks." + std::to_string(i);
    const bool attn = c.down_block_types[i] == "AttnDownBlock2D";
    b.resnets.resize(c.layers_per_block);
    if (attn) {  // Attn blocks register their attentions before their resnets
      b.attentions.resize(c.layers_per_block);
      for (int j = 0; j < c.layers_per_block; ++j)
        b.attentions[j].Register(ps_, name + ".attentions." + std::to_string(j), out, head_dim(out), groups, eps, 1.0);
    }
    for (int j = 0; j < c.layers_per_block; ++j) {
      b.resnets[j].Register(ps_, name + ".resnets." + std::to_string(j), j == 0 ? in : out, out, groups, eps, ss, 1.0,
                            ted_);
      skip_channels_.push_back(out);
      skip_levels_.push_back(i);
    }
    if (i != n - 1) {
      b.has_downsample = true;
      kernels::Conv2dParams p = ConvParams(out, out, 3, 2, 1);
      if (c.downsample_padding == 0) p.pad_top = p.pad_left = 0;  // F.pad(x, (0, 1, 0, 1)), then padding 0
      b.downsample.Register(ps_, name + ".downsamplers.0.conv", p);
      skip_channels_.push_back(out);
      skip_levels_.push_back(i + 1);
    }
  }

  has_mid_ = !c.mid_block_type.empty();
  if (has_mid_) {
    const int ch = c.block_out_channels.back();
    if (c.add_attention) {
      // UNetMidBlock2D: attn_norm_num_groups, else resnet groups ("default") / no group_norm ("scale_shift").
      const int attn_groups = c.attn_norm_num_groups ? *c.attn_norm_num_groups : (ss ? 0 : groups);
      mid_attentions_.resize(1);
      mid_attentions_[0].Register(ps_, "mid_block.attentions.0", ch, head_dim(ch), attn_groups, eps,
                                  c.mid_block_scale_factor);
    }
    mid_resnets_.resize(2);
    for (int j = 0; j < 2; ++j)
      mid_resnets_[j].Register(ps_, "mid_block.resnets." + std::to_string(j), ch, ch, groups, eps, ss,
                               c.mid_block_scale_factor, ted_);
  }

  std::vector<int> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  out = rev[0];
  up_.resize(n);
  for (int i = 0; i < n; ++i) {
    const int prev = out;
    out = rev[i];
    const int in = rev[std::min(i + 1, n - 1)];
    UpBlock& b = up_[i];
    const std::string name = "up_blocks." + std::to_string(i);
    const bool attn = c.up_block_types[i] == "AttnUpBlock2D";
    const int layers = c.layers_per_block + 1;
    b.resnets.resize(layers);
    b.hidden_in.resize(layers);
    b.hidden_channels.resize(layers);
    if (attn) {
      b.attentions.resize(layers);
      for (int j = 0; j < layers; ++j)
        b.attentions[j].Register(ps_, name + ".attentions." + std::to_string(j), out, head_dim(out), groups, eps, 1.0);
    }
    for (int j = 0; j < layers; ++j) {
      const int skip = j == c.layers_per_block ? in : out;
      const int rin = j == 0 ? prev : out;
      b.resnets[j].Register(ps_, name + ".resnets." + std::to_string(j), rin + skip, out, groups, eps, ss, 1.0, ted_);
    }
    if (i != n - 1) {
      b.has_upsample = true;
      b.upsample.Register(ps_, name + ".upsamplers.0.conv", ConvParams(out, out, 3, 1, 1));
    }
  }
  conv_norm_out_.Register(ps_, "conv_norm_out", c0, groups, eps);
  conv_out_.Register(ps_, "conv_out", ConvParams(c0, c.out_channels, 3, 1, 1));
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
  m->config_ = std::move(c);
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
  m->config_ = std::move(c);
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
  ModelFiles files{config_.ToJson().dump(2) + "\n", {}};
  DDPM_ASSIGN_OR_RETURN(files.weights, w.Serialize());
  return files;
}

// ---- Forward ----

Status UNet2DTrainable::CheckInputs(const Tensor& x, const std::vector<float>& timesteps,
                                   const std::vector<int64_t>& labels) const {
  const UNet2DConfig& c = config_;
  if (x.rank() != 4 || x.dim(0) <= 0 || x.dim(1) != c.in_channels)
    return InvalidArgument("UNet training input must be NCHW [B, " + std::to_string(c.in_channels) + ", H, W], got " +
                           ShapeToString(x.shape()));
  const int64_t mult = int64_t(1) << (c.block_out_channels.size() - 1);
  if (x.dim(2) % mult || x.dim(3) % mult)
    return InvalidArgument("UNet training input " + ShapeToString(x.shape()) + ": height and width must be multiples of " +
                           std::to_string(mult));
  const size_t b = size_t(x.dim(0));
  if (timesteps.size() != 1 && timesteps.size() != b)
    return InvalidArgument("got " + std::to_string(timesteps.size()) + " timesteps for a batch of " + std::to_string(b));
  if (!has_class_) {
    if (!labels.empty()) return InvalidArgument("class_labels given, but the model has no class embedding");
    return Status::Ok();
  }
  if (labels.size() != 1 && labels.size() != b)
    return InvalidArgument("got " + std::to_string(labels.size()) + " class labels for a batch of " + std::to_string(b) +
                           " (num_class_embeds = " + std::to_string(*c.num_class_embeds) + ")");
  for (int64_t l : labels)
    if (l < 0 || l >= *c.num_class_embeds)
      return InvalidArgument("class label " + std::to_string(l) + " is out of range [0, " +
                             std::to_string(*c.num_class_embeds) + ")");
  return Status::Ok();
}

Status UNet2DTrainable::PackAll() {
  DDPM_RETURN_IF_ERROR(conv_in_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(conv_out_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(linear_1_.Pack(ps_));
  DDPM_RETURN_IF_ERROR(linear_2_.Pack(ps_));
  auto blocks = [&](std::vector<ResnetTrain>& rs, std::vector<AttentionTrain>& as) -> Status {
    for (auto& r : rs) DDPM_RETURN_IF_ERROR(r.Pack(ps_));
    for (auto& a : as) DDPM_RETURN_IF_ERROR(a.Pack(ps_));
    return Status::Ok();
  };
  for (DownBlock& b : down_) {
    DDPM_RETURN_IF_ERROR(blocks(b.resnets, b.attentions));
    if (b.has_downsample) DDPM_RETURN_IF_ERROR(b.downsample.Pack(ps_));
  }
  DDPM_RETURN_IF_ERROR(blocks(mid_resnets_, mid_attentions_));
  for (UpBlock& b : up_) {
    DDPM_RETURN_IF_ERROR(blocks(b.resnets, b.attentions));
    if (b.has_upsample) DDPM_RETURN_IF_ERROR(b.upsample.Pack(ps_));
  }
  return Status::Ok();
}

// ---- Data-parallel lanes ----

UNet2DTrainable& UNet2DTrainable::Lane(int t) { return t == 0 ? *this : *replicas_[size_t(t) - 1]; }

Status UNet2DTrainable::EnsureReplicas(int lanes) {
  while (replicas_.size() + 1 < size_t(lanes)) {
    std::unique_ptr<UNet2DTrainable> r(new UNet2DTrainable());
    r->config_ = config_;
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
  DDPM_RETURN_IF_ERROR(CheckInputs(x_t, timesteps_in, labels_in));
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
  const int64_t dims[4] = {b, config_.out_channels, x_t.dim(2), x_t.dim(3)};
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
  const Shape out_shape{b, config_.out_channels, height_, width_};
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
  DDPM_RETURN_IF_ERROR(CheckInputs(x_t, timesteps_in, labels_in));
  have_forward_ = have_backward_ = false;
  const int b = int(x_t.dim(0)), n = int(down_.size()), c0 = config_.block_out_channels[0];
  batch_ = b;
  height_ = int(x_t.dim(2));
  width_ = int(x_t.dim(3));
  const size_t hw = size_t(height_) * width_;
  TrainContext ctx{b, pool, &ps_, &ws_};
  ws_.set_pool(pool);
  DDPM_RETURN_IF_ERROR(PackAll());  // the weights changed since the last step

  // Input NCHW -> NHWC (center_input_sample: 2·x − 1).
  const int cin = config_.in_channels;
  DDPM_RETURN_IF_ERROR(EnsureShape(&x_in_, {b, height_, width_, cin}, "input"));
  for (int i = 0; i < b; ++i)
    for (int ch = 0; ch < cin; ++ch) {
      const float* src = x_t.data() + (size_t(i) * cin + ch) * hw;
      float* dst = x_in_.data() + size_t(i) * hw * cin + ch;
      for (size_t p = 0; p < hw; ++p) dst[p * cin] = config_.center_input_sample ? 2.0f * src[p] - 1.0f : src[p];
    }

  // Time (and class) embedding: emb = linear_2(SiLU(linear_1(sinusoid(t)))) [+ class_embedding(label)].
  DDPM_RETURN_IF_ERROR(EnsureShape(&tp_, {b, c0}, "time_proj"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&th_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&ta_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&emb_, {b, ted_}, "time embedding"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&emb_act_, {b, ted_}, "time embedding"));
  for (int i = 0; i < b; ++i)
    SinusoidalEmbedding(timesteps_in.size() == 1 ? timesteps_in[0] : timesteps_in[i], c0, config_.flip_sin_to_cos,
                        float(config_.freq_shift), tp_.data() + size_t(i) * c0);
  linear_1_.Forward(ctx, tp_.data(), b, th_.data());
  kernels::SiLU(th_.data(), th_.size(), ta_.data());
  linear_2_.Forward(ctx, ta_.data(), b, emb_.data());
  labels_.clear();
  if (has_class_) {
    for (int i = 0; i < b; ++i) labels_.push_back(labels_in.size() == 1 ? labels_in[0] : labels_in[i]);
    EmbeddingForward(emb_act_.data(), ps_.value(class_table_), labels_, ted_);
    for (size_t i = 0; i < emb_.size(); ++i) emb_[i] += emb_act_[i];
  }
  kernels::SiLU(emb_.data(), emb_.size(), emb_act_.data());  // every resnet's SiLU(emb), computed once

  // Down path: each layer's output is a skip.
  DDPM_RETURN_IF_ERROR(EnsureShape(&conv_in_out_, {b, height_, width_, c0}, "conv_in output"));
  conv_in_.Forward(ctx, x_in_.data(), height_, width_, conv_in_out_.data());
  skips_.assign(1, conv_in_out_.data());
  const float* h = conv_in_out_.data();
  int ch = c0;
  for (int i = 0; i < n; ++i) {
    DownBlock& blk = down_[i];
    const Dims d = LevelDims(i);
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      DDPM_RETURN_IF_ERROR(blk.resnets[j].Forward(ctx, h, d, emb_act_.data()));
      h = blk.resnets[j].y.data();
      if (!blk.attentions.empty()) {
        DDPM_RETURN_IF_ERROR(blk.attentions[j].Forward(ctx, h, d));
        h = blk.attentions[j].y.data();
      }
      ch = blk.resnets[j].cout;
      skips_.push_back(h);
    }
    if (blk.has_downsample) {
      const Dims o = LevelDims(i + 1);
      DDPM_RETURN_IF_ERROR(EnsureShape(&blk.down_out, {b, o.h, o.w, ch}, "downsampler output"));
      blk.downsample.Forward(ctx, h, d.h, d.w, blk.down_out.data());
      h = blk.down_out.data();
      skips_.push_back(h);
    }
  }

  if (has_mid_) {
    const Dims d = LevelDims(n - 1);
    DDPM_RETURN_IF_ERROR(mid_resnets_[0].Forward(ctx, h, d, emb_act_.data()));
    h = mid_resnets_[0].y.data();
    for (AttentionTrain& a : mid_attentions_) {
      DDPM_RETURN_IF_ERROR(a.Forward(ctx, h, d));
      h = a.y.data();
    }
    DDPM_RETURN_IF_ERROR(mid_resnets_[1].Forward(ctx, h, d, emb_act_.data()));
    h = mid_resnets_[1].y.data();
  }

  // Up path: resnet j reads [hidden, skip] (the last skip popped).
  size_t s = skips_.size();
  for (int i = 0; i < n; ++i) {
    UpBlock& blk = up_[i];
    const Dims d = LevelDims(n - 1 - i);
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      --s;
      const size_t rows = size_t(b) * d.hw();
      float* cat = ws_.Get(Workspace::kModel0, rows * (ch + skip_channels_[s]));
      ParallelConcatChannels(h, ch, skips_[s], skip_channels_[s], rows, cat, pool);
      blk.hidden_in[j] = h;
      blk.hidden_channels[j] = ch;
      DDPM_RETURN_IF_ERROR(blk.resnets[j].Forward(ctx, cat, d, emb_act_.data()));
      h = blk.resnets[j].y.data();
      if (!blk.attentions.empty()) {
        DDPM_RETURN_IF_ERROR(blk.attentions[j].Forward(ctx, h, d));
        h = blk.attentions[j].y.data();
      }
      ch = blk.resnets[j].cout;
    }
    if (blk.has_upsample) {
      const Dims o = LevelDims(n - 2 - i);
      float* up = ws_.Get(Workspace::kModel0, size_t(b) * o.hw() * ch);
      kernels::UpsampleNearest2x(h, b, d.h, d.w, ch, up, pool);
      DDPM_RETURN_IF_ERROR(EnsureShape(&blk.up_out, {b, o.h, o.w, ch}, "upsampler output"));
      blk.upsample.Forward(ctx, up, o.h, o.w, blk.up_out.data());
      h = blk.up_out.data();
    }
  }
  h_last_ = h;

  // Out: GroupNorm + SiLU, conv_out; NHWC -> NCHW.
  mean_out_.resize(size_t(b) * conv_norm_out_.groups);
  rstd_out_.resize(mean_out_.size());
  float* act = ws_.Get(Workspace::kRecompute, size_t(b) * hw * c0);
  const GroupNormSpec so = conv_norm_out_.Spec(b, int(hw), /*silu=*/true);
  GroupNormForward(act, mean_out_.data(), rstd_out_.data(), h, ps_.value(conv_norm_out_.gamma),
                   ps_.value(conv_norm_out_.beta), so,
                   ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())), pool);
  const int co = config_.out_channels;
  float* y = ws_.Get(Workspace::kModel1, size_t(b) * hw * co);
  conv_out_.Forward(ctx, act, height_, width_, y);
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
  const int b = batch_, n = int(down_.size()), c0 = config_.block_out_channels[0], co = config_.out_channels;
  const Shape out_shape{b, co, height_, width_};
  if (dout.shape() != out_shape)
    return InvalidArgument("UNet Backward: gradient shape " + ShapeToString(dout.shape()) + ", the forward gave " +
                           ShapeToString(out_shape));
  const size_t hw = size_t(height_) * width_;
  TrainContext ctx{b, pool, &ps_, &ws_};
  ws_.set_pool(pool);

  // Gradient buffers: one per skip, two for the hidden state, one for SiLU(emb).
  dskips_.resize(skips_.size());
  size_t max_hidden = 0;
  for (size_t s = 0; s < skips_.size(); ++s) {
    const Dims d = LevelDims(skip_levels_[s]);
    DDPM_RETURN_IF_ERROR(EnsureShape(&dskips_[s], {b, d.h, d.w, skip_channels_[s]}, "skip gradient"));
    ParallelZero(dskips_[s].data(), dskips_[s].size(), pool);
  }
  // The hidden state reaches a level with up to the widest block's channels (after an upsampler).
  const int widest = *std::max_element(config_.block_out_channels.begin(), config_.block_out_channels.end());
  for (int level = 0; level < n; ++level) max_hidden = std::max(max_hidden, size_t(b) * LevelDims(level).hw() * widest);
  for (Tensor& t : dh_) DDPM_RETURN_IF_ERROR(EnsureShape(&t, {int64_t(max_hidden)}, "hidden gradient"));
  DDPM_RETURN_IF_ERROR(EnsureShape(&d_temb_act_, {b, ted_}, "time embedding gradient"));
  std::fill(d_temb_act_.data(), d_temb_act_.data() + d_temb_act_.size(), 0.0f);
  int cur = 0;
  auto fresh = [&](size_t floats) {  // the other hidden-gradient buffer, zeroed
    cur ^= 1;
    ParallelZero(dh_[cur].data(), floats, pool);
    return dh_[cur].data();
  };

  // Out: conv_out, then GroupNorm + SiLU.
  float* dy = ws_.Get(Workspace::kModel1, size_t(b) * hw * co);
  for (int i = 0; i < b; ++i)
    for (int c = 0; c < co; ++c) {
      const float* src = dout.data() + (size_t(i) * co + c) * hw;
      float* dst = dy + size_t(i) * hw * co + c;
      for (size_t p = 0; p < hw; ++p) dst[p * co] = src[p];
    }
  const GroupNormSpec so = conv_norm_out_.Spec(b, int(hw), /*silu=*/true);
  float* act = ws_.Get(Workspace::kRecompute, size_t(b) * hw * c0);
  GroupNormApply(act, h_last_, mean_out_.data(), rstd_out_.data(), ps_.value(conv_norm_out_.gamma),
                 ps_.value(conv_norm_out_.beta), so,
                 ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())), pool);
  float* dact = ws_.Zeroed(Workspace::kModel2, size_t(b) * hw * c0);
  conv_out_.Backward(ctx, dact, dy, act, height_, width_);
  float* dh = fresh(size_t(b) * hw * c0);
  GroupNormBackward(dh, ps_.grad(conv_norm_out_.gamma), ps_.grad(conv_norm_out_.beta), nullptr, nullptr, dact, h_last_,
                    mean_out_.data(), rstd_out_.data(), ps_.value(conv_norm_out_.gamma), ps_.value(conv_norm_out_.beta),
                    so, ws_.Get(Workspace::kScratch, GroupNormScratchFloats(so, ctx.threads())), pool);

  // Up path, in reverse.
  size_t s = skips_.size();
  for (const UpBlock& blk : up_) s -= blk.resnets.size();
  for (int i = n - 1; i >= 0; --i) {
    UpBlock& blk = up_[i];
    const Dims d = LevelDims(n - 1 - i);
    const float* block_out = blk.attentions.empty() ? blk.resnets.back().y.data() : blk.attentions.back().y.data();
    const int ch = blk.resnets.back().cout;
    if (blk.has_upsample) {
      const Dims o = LevelDims(n - 2 - i);
      float* up = ws_.Get(Workspace::kModel0, size_t(b) * o.hw() * ch);
      kernels::UpsampleNearest2x(block_out, b, d.h, d.w, ch, up, pool);
      float* dup = ws_.Zeroed(Workspace::kModel1, size_t(b) * o.hw() * ch);
      blk.upsample.Backward(ctx, dup, dh, up, o.h, o.w);
      dh = fresh(size_t(b) * d.hw() * ch);
      UpsampleNearest2xBackward(dh, dup, b, d.h, d.w, ch, pool);
    }
    const size_t rows = size_t(b) * d.hw();
    for (size_t j = blk.resnets.size(); j-- > 0;) {
      const size_t sk = s + blk.resnets.size() - 1 - j;  // the skip resnet j popped (last-first)
      ResnetTrain& r = blk.resnets[j];
      const float* dr = dh;
      if (!blk.attentions.empty()) {
        float* t = ws_.Zeroed(Workspace::kModel3, rows * r.cout);
        blk.attentions[j].Backward(ctx, t, dh, r.y.data(), d);
        dr = t;
      }
      const int hc = blk.hidden_channels[j], sc = skip_channels_[sk];
      float* cat = ws_.Get(Workspace::kModel0, rows * (hc + sc));
      ParallelConcatChannels(blk.hidden_in[j], hc, skips_[sk], sc, rows, cat, pool);
      float* dcat = ws_.Zeroed(Workspace::kModel1, rows * (hc + sc));
      r.Backward(ctx, dcat, d_temb_act_.data(), dr, cat, d, emb_act_.data());
      dh = fresh(rows * hc);
      ConcatChannelsBackward(dh, dskips_[sk].data(), dcat, hc, sc, rows, pool);
    }
    s += blk.resnets.size();  // the block before this one popped the skips above these
  }

  // Mid block: its output gradient is dh; its input is the last skip.
  const size_t last = skips_.size() - 1;
  if (has_mid_) {
    const Dims d = LevelDims(n - 1);
    const size_t rows = size_t(b) * d.hw();
    ResnetTrain &r0 = mid_resnets_[0], &r1 = mid_resnets_[1];
    const float* r1_in = mid_attentions_.empty() ? r0.y.data() : mid_attentions_[0].y.data();
    float* t = ws_.Zeroed(Workspace::kModel3, rows * r1.cin);
    r1.Backward(ctx, t, d_temb_act_.data(), dh, r1_in, d, emb_act_.data());
    const float* dr0 = t;
    if (!mid_attentions_.empty()) {
      float* t2 = fresh(rows * r0.cout);
      mid_attentions_[0].Backward(ctx, t2, t, r0.y.data(), d);
      dr0 = t2;
    }
    r0.Backward(ctx, dskips_[last].data(), d_temb_act_.data(), dr0, skips_[last], d, emb_act_.data());
  } else {
    ParallelAdd(dskips_[last].data(), dh, dskips_[last].size(), pool);
  }

  // Down path, in reverse: the layer that wrote skip k read skip k-1.
  size_t k = last;
  for (int i = n - 1; i >= 0; --i) {
    DownBlock& blk = down_[i];
    const Dims d = LevelDims(i);
    if (blk.has_downsample) {
      blk.downsample.Backward(ctx, dskips_[k - 1].data(), dskips_[k].data(), skips_[k - 1], d.h, d.w);
      --k;
    }
    for (size_t j = blk.resnets.size(); j-- > 0; --k) {
      ResnetTrain& r = blk.resnets[j];
      const float* dr = dskips_[k].data();
      if (!blk.attentions.empty()) {
        float* t = ws_.Zeroed(Workspace::kModel3, size_t(b) * d.hw() * r.cout);
        blk.attentions[j].Backward(ctx, t, dskips_[k].data(), r.y.data(), d);
        dr = t;
      }
      r.Backward(ctx, dskips_[k - 1].data(), d_temb_act_.data(), dr, skips_[k - 1], d, emb_act_.data());
    }
  }

  // conv_in, and d loss / d x_t (NCHW; center_input_sample scales it by 2).
  const int cin = config_.in_channels;
  float* dx = ws_.Zeroed(Workspace::kModel0, size_t(b) * hw * cin);
  conv_in_.Backward(ctx, dx, dskips_[0].data(), x_in_.data(), height_, width_);
  DDPM_RETURN_IF_ERROR(EnsureShape(&dinput_, {b, cin, height_, width_}, "input gradient"));
  const float f = config_.center_input_sample ? 2.0f : 1.0f;
  for (int i = 0; i < b; ++i)
    for (int c = 0; c < cin; ++c) {
      const float* src = dx + size_t(i) * hw * cin + c;
      float* dst = dinput_.data() + (size_t(i) * cin + c) * hw;
      for (size_t p = 0; p < hw; ++p) dst[p] = f * src[p * cin];
    }

  // Time embedding: SiLU(emb) -> emb -> class rows, linear_2, SiLU, linear_1.
  const size_t ne = size_t(b) * ted_;
  float* demb = ws_.Zeroed(Workspace::kSmall, 3 * ne);
  float* dta = demb + ne;
  float* dth = demb + 2 * ne;
  SiLUBackward(demb, d_temb_act_.data(), emb_.data(), ne);
  if (has_class_) EmbeddingBackward(ps_.grad(class_table_), demb, labels_, ted_);
  linear_2_.Backward(ctx, dta, demb, ta_.data(), size_t(b));
  SiLUBackward(dth, dta, th_.data(), ne);
  linear_1_.Backward(ctx, nullptr, dth, tp_.data(), size_t(b));
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
  auto blocks = [&](const std::vector<ResnetTrain>& rs, const std::vector<AttentionTrain>& as) {
    for (const auto& r : rs) saved += r.saved_bytes();
    for (const auto& a : as) saved += a.saved_bytes();
  };
  for (const DownBlock& b : down_) {
    blocks(b.resnets, b.attentions);
    saved += bytes(b.down_out);
  }
  blocks(mid_resnets_, mid_attentions_);
  for (const UpBlock& b : up_) {
    blocks(b.resnets, b.attentions);
    saved += bytes(b.up_out);
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
  double flops = 0;
  auto conv = [&](const kernels::Conv2dParams& p, int level) {
    const Dims o = ConvOutDims(p, {height >> level, width >> level});
    flops += 2.0 * o.hw() * p.cout * p.cin * p.kh * p.kw;
  };
  auto resnet = [&](const ResnetTrain& r, int level) {
    conv(r.conv1.p, level);
    conv(r.conv2.p, level);
    if (r.has_shortcut) conv(r.conv_shortcut.p, level);
    flops += 2.0 * r.time_emb_proj.in * r.time_emb_proj.out;
  };
  auto attention = [&](const AttentionTrain& a, int level) {
    const double t = double(height >> level) * (width >> level);
    flops += 2.0 * t * a.channels * 4 * a.channels + 4.0 * t * t * a.channels;
  };
  const int n = int(down_.size());
  conv(conv_in_.p, 0);
  for (int i = 0; i < n; ++i) {
    for (const auto& r : down_[i].resnets) resnet(r, i);
    for (const auto& a : down_[i].attentions) attention(a, i);
    if (down_[i].has_downsample) conv(down_[i].downsample.p, i);
  }
  for (const auto& r : mid_resnets_) resnet(r, n - 1);
  for (const auto& a : mid_attentions_) attention(a, n - 1);
  for (int i = 0; i < n; ++i) {
    for (const auto& r : up_[i].resnets) resnet(r, n - 1 - i);
    for (const auto& a : up_[i].attentions) attention(a, n - 1 - i);
    if (up_[i].has_upsample) conv(up_[i].upsample.p, n - 2 - i);
  }
  conv(conv_out_.p, 0);
  flops += 2.0 * (linear_1_.in * linear_1_.out + linear_2_.in * linear_2_.out);
  return flops;
}

}  // namespace ddpm::nn::train
