#include "nn/toy_mlp.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/rng.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "nn/dense.h"
#include "nn/timestep_embedding.h"

namespace ddpm {

namespace {
constexpr const char* kClassName = "ToyMLPDenoiser";
inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

Expected<ToyMlpConfig> ToyMlpConfig::FromJson(const JsonConfig& c) {
  ToyMlpConfig cfg;
  std::string cls = kClassName;
  DDPM_RETURN_IF_ERROR(c.GetEnum("_class_name", {kClassName}, &cls));
  DDPM_RETURN_IF_ERROR(c.GetInt("data_dim", &cfg.data_dim));
  DDPM_RETURN_IF_ERROR(c.GetInt("hidden", &cfg.hidden));
  DDPM_RETURN_IF_ERROR(c.GetInt("num_hidden_layers", &cfg.num_hidden_layers));
  DDPM_RETURN_IF_ERROR(c.GetInt("time_embed_dim", &cfg.time_embed_dim));
  if (cfg.data_dim < 1 || cfg.data_dim > 64) return c.Error("data_dim", "must be in 1..64");
  if (cfg.hidden < 1 || cfg.hidden > 4096) return c.Error("hidden", "must be in 1..4096");
  if (cfg.num_hidden_layers < 0 || cfg.num_hidden_layers > 16) return c.Error("num_hidden_layers", "must be in 0..16");
  if (cfg.time_embed_dim < 2 || cfg.time_embed_dim % 2) return c.Error("time_embed_dim", "must be even and >= 2");
  return cfg;
}

std::string ToyMlpConfig::ToJson() const {
  nlohmann::ordered_json j = {{"_class_name", kClassName}, {"data_dim", data_dim}, {"hidden", hidden},
                              {"num_hidden_layers", num_hidden_layers}, {"time_embed_dim", time_embed_dim}};
  return j.dump(2) + "\n";
}

ToyMlp::ToyMlp(const ToyMlpConfig& c) : config_(c) {
  int in = c.data_dim + c.time_embed_dim;
  for (int i = 0; i <= c.num_hidden_layers + 1; ++i) {
    const bool last = i == c.num_hidden_layers + 1;
    Layer l;
    l.in = in;
    l.out = last ? c.data_dim : c.hidden;
    l.w.assign(size_t(l.in) * l.out, 0.0f);
    l.b.assign(size_t(l.out), 0.0f);
    l.dw.assign(l.w.size(), 0.0f);
    l.db.assign(l.b.size(), 0.0f);
    layers_.push_back(std::move(l));
    in = c.hidden;
  }
}

ToyMlp ToyMlp::Create(const ToyMlpConfig& config, uint64_t seed) {
  ToyMlp m(config);
  PhiloxRng rng(seed);
  for (Layer& l : m.layers_) {
    const float bound = 1.0f / std::sqrt(float(l.in));
    for (auto* v : {&l.w, &l.b}) {
      rng.Uniform(v->data(), v->size());
      for (float& x : *v) x = (2.0f * x - 1.0f) * bound;
    }
  }
  return m;
}

ParamList ToyMlp::Parameters() {
  ParamList p;
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    const std::string prefix = "layers." + std::to_string(i);
    p.push_back({prefix + ".weight", l.w.data(), l.dw.data(), l.w.size(), {l.out, l.in}});
    p.push_back({prefix + ".bias", l.b.data(), l.db.data(), l.b.size(), {l.out}});
  }
  return p;
}

void ToyMlp::ZeroGrad() {
  for (Layer& l : layers_) {
    std::fill(l.dw.begin(), l.dw.end(), 0.0f);
    std::fill(l.db.begin(), l.db.end(), 0.0f);
  }
}

float* ToyMlp::Scratch(size_t floats) {
  if (scratch_.size() < floats) scratch_.resize(floats);
  return scratch_.data();
}

void ToyMlp::Forward(const float* x, const float* timesteps, int batch, float* out, ThreadPool* pool) {
  const int d = config_.data_dim, e = config_.time_embed_dim;
  batch_ = batch;
  acts_.resize(layers_.size());
  pre_.resize(layers_.size());
  // Layer 0's input: [x, SinusoidalEmbedding(t)].
  std::vector<float>& in0 = acts_[0];
  in0.resize(size_t(batch) * (d + e));
  for (int r = 0; r < batch; ++r) {
    float* row = in0.data() + size_t(r) * (d + e);
    std::copy(x + size_t(r) * d, x + size_t(r + 1) * d, row);
    SinusoidalEmbedding(timesteps[r], e, /*flip_sin_to_cos=*/true, /*shift=*/0.0f, row + d);
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const bool last = i + 1 == layers_.size();
    std::vector<float>& z = pre_[i];
    z.resize(size_t(batch) * l.out);
    DenseForward(z.data(), acts_[i].data(), l.w.data(), l.b.data(), batch, l.in, l.out,
                 Scratch(DenseScratchFloats(batch, l.in, l.out, pool ? pool->num_threads() : 1)), pool);
    if (last) {
      std::copy(z.begin(), z.end(), out);
    } else {
      std::vector<float>& a = acts_[i + 1];
      a.resize(z.size());
      for (size_t k = 0; k < z.size(); ++k) a[k] = z[k] * Sigmoid(z[k]);  // SiLU
    }
  }
}

void ToyMlp::Backward(const float* dout, ThreadPool* pool) {
  const int batch = batch_;
  grad_a_.assign(dout, dout + size_t(batch) * layers_.back().out);  // d loss / d z of the last layer
  for (size_t i = layers_.size(); i-- > 0;) {
    Layer& l = layers_[i];
    float* dx = nullptr;
    if (i > 0) {
      grad_b_.resize(size_t(batch) * l.in);
      dx = grad_b_.data();
    }
    DenseBackward(dx, l.dw.data(), l.db.data(), grad_a_.data(), acts_[i].data(), l.w.data(), batch, l.in, l.out,
                  Scratch(DenseScratchFloats(batch, l.in, l.out, pool ? pool->num_threads() : 1)), pool);
    if (i == 0) break;
    // Through SiLU of the previous layer: d/dz [z·σ(z)] = σ(z)·(1 + z·(1 − σ(z))).
    const std::vector<float>& z = pre_[i - 1];
    for (size_t k = 0; k < z.size(); ++k) {
      const float s = Sigmoid(z[k]);
      grad_b_[k] *= s * (1.0f + z[k] * (1.0f - s));
    }
    std::swap(grad_a_, grad_b_);
  }
}

Status ToyMlp::ForwardTrain(const Tensor& x_t, const std::vector<float>& timesteps,
                           const std::vector<int64_t>& class_labels, Tensor* out, ThreadPool* pool) {
  if (x_t.rank() != 2 || x_t.dim(1) != config_.data_dim)
    return InvalidArgument("ToyMlp: input shape " + ShapeToString(x_t.shape()) + ", expected [batch, " +
                           std::to_string(config_.data_dim) + "]");
  if (int64_t(timesteps.size()) != x_t.dim(0))
    return InvalidArgument("ToyMlp: " + std::to_string(timesteps.size()) + " timesteps for a batch of " +
                           std::to_string(x_t.dim(0)));
  if (!class_labels.empty()) return InvalidArgument("ToyMlp: the toy model takes no class labels");
  if (out->shape() != x_t.shape()) *out = Tensor(x_t.shape());
  Forward(x_t.data(), timesteps.data(), int(x_t.dim(0)), out->data(), pool);
  return Status::Ok();
}

Status ToyMlp::Backward(const Tensor& dout, ThreadPool* pool) {
  if (dout.rank() != 2 || dout.dim(0) != batch_ || dout.dim(1) != config_.data_dim)
    return InvalidArgument("ToyMlp: gradient shape " + ShapeToString(dout.shape()) + " does not match the last forward");
  Backward(dout.data(), pool);
  return Status::Ok();
}

Expected<ModelFiles> ToyMlp::SerializeModel() const {
  SafeTensorsWriter w;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const std::string prefix = "layers." + std::to_string(i);
    w.AddFloat(prefix + ".weight", {l.out, l.in}, l.w.data());
    w.AddFloat(prefix + ".bias", {l.out}, l.b.data());
  }
  w.SetMetadata("format", "pt");
  ModelFiles files{config_.ToJson(), {}};
  DDPM_ASSIGN_OR_RETURN(files.weights, w.Serialize());
  return files;
}

Expected<ToyMlp> ToyMlp::Load(const std::string& dir) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::ReadFile(JoinPath(dir, "config.json")));
  DDPM_ASSIGN_OR_RETURN(SafeTensors st, SafeTensors::ReadFile(JoinPath(dir, "diffusion_pytorch_model.safetensors")));
  return FromFiles(json, st);
}

Expected<ToyMlp> ToyMlp::FromFiles(const JsonConfig& json, const SafeTensors& st) {
  DDPM_ASSIGN_OR_RETURN(ToyMlpConfig cfg, ToyMlpConfig::FromJson(json));
  ToyMlp m(cfg);
  size_t used = 0;
  for (size_t i = 0; i < m.layers_.size(); ++i) {
    Layer& l = m.layers_[i];
    const std::string prefix = "layers." + std::to_string(i);
    for (auto [name, dst, shape] : {std::tuple{prefix + ".weight", &l.w, Shape{l.out, l.in}},
                                    std::tuple{prefix + ".bias", &l.b, Shape{l.out}}}) {
      DDPM_ASSIGN_OR_RETURN(Tensor t, st.GetFloat(name));
      if (t.shape() != shape)
        return InvalidArgument(st.source() + ": tensor '" + name + "' has shape " + ShapeToString(t.shape()) +
                               ", config expects " + ShapeToString(shape));
      for (size_t k = 0; k < t.size(); ++k)
        if (!std::isfinite(t[k])) return InvalidArgument(st.source() + ": tensor '" + name + "' has non-finite values");
      dst->assign(t.data(), t.data() + t.size());
      ++used;
    }
  }
  if (used != st.tensors().size())
    return InvalidArgument(st.source() + ": " + std::to_string(st.tensors().size() - used) +
                           " unexpected tensors for this config");
  return m;
}

}  // namespace ddpm
