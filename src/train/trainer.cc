#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

#include "io/safetensors.h"

namespace ddpm {

namespace {

std::string Num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// "name value must be in range".
Status OutOfRange(const char* name, double value, const char* range) {
  return InvalidArgument(std::string(name) + " " + Num(value) + " must be in " + range);
}

}  // namespace

Status CheckTrainOptions(const TrainOptions& o) {
  const AdamWOptions& a = o.adamw;
  if (!(o.lr > 0)) return OutOfRange("lr", o.lr, "(0, inf)");
  if (!(a.beta1 >= 0 && a.beta1 < 1)) return OutOfRange("beta1", a.beta1, "[0, 1)");
  if (!(a.beta2 >= 0 && a.beta2 < 1)) return OutOfRange("beta2", a.beta2, "[0, 1)");
  if (!(a.eps > 0)) return OutOfRange("eps", a.eps, "(0, inf)");
  if (!(a.weight_decay >= 0)) return OutOfRange("weight_decay", a.weight_decay, "[0, inf)");
  if (std::isnan(o.max_grad_norm)) return InvalidArgument("max_grad_norm is NaN (<= 0 disables clipping)");
  if (o.warmup_steps < 0) return OutOfRange("warmup_steps", double(o.warmup_steps), "[0, inf)");
  if (o.total_steps < 0) return OutOfRange("total_steps", double(o.total_steps), "[0, inf)");
  if (o.use_ema) {
    const EmaOptions& e = o.ema;
    if (!(e.decay >= 0 && e.decay <= 1)) return OutOfRange("ema decay", e.decay, "[0, 1]");
    if (!(e.min_decay >= 0 && e.min_decay <= 1)) return OutOfRange("ema min_decay", e.min_decay, "[0, 1]");
    if (!(e.inv_gamma > 0)) return OutOfRange("ema inv_gamma", e.inv_gamma, "(0, inf)");
    if (!(e.power > 0)) return OutOfRange("ema power", e.power, "(0, inf)");
    if (e.update_after_step < 0) return OutOfRange("ema update_after_step", double(e.update_after_step), "[0, inf)");
  }
  if (!(o.min_snr_gamma >= 0)) return OutOfRange("min_snr_gamma", o.min_snr_gamma, "[0, inf) (0 = off)");
  if (!(o.label_dropout >= 0 && o.label_dropout <= 1)) return OutOfRange("label_dropout", o.label_dropout, "[0, 1]");
  if (o.label_dropout > 0 && o.null_class < 0)
    return InvalidArgument("label_dropout " + Num(o.label_dropout) +
                           " needs a null class (the model's config.json null_class_index) to drop labels to");
  return Status::Ok();
}

Trainer::Trainer(TrainableDenoiser* model, DDPMScheduler noise_scheduler, TrainOptions options, ThreadPool* pool)
    : model_(model),
      scheduler_(std::move(noise_scheduler)),
      options_(options),
      pool_(pool),
      params_(model->Parameters()),
      optimizer_(params_, options.adamw),
      rng_(options.seed) {
  if (options_.use_ema) ema_ = std::make_unique<Ema>(params_, options_.ema);
}

namespace {

// Mirrors each NCHW image left-right in place where flip[b] is set.
void FlipHorizontal(Tensor* x, const std::vector<uint8_t>& flip) {
  const int64_t b = x->dim(0), rows = x->dim(1) * x->dim(2), w = x->dim(3);
  for (int64_t i = 0; i < b; ++i) {
    if (!flip[i]) continue;
    float* img = x->data() + i * rows * w;
    for (int64_t r = 0; r < rows; ++r) std::reverse(img + r * w, img + (r + 1) * w);
  }
}

}  // namespace

Expected<float> Trainer::LossAndGradients(const Tensor& x0, const std::vector<int64_t>& class_labels,
                                          const StepInputs& inputs, Tensor* input_gradient) {
  // The model's own buffers report exhausted memory as a Status; what can still throw is a std::vector that grows
  // on the first step of a shape (saved statistics, labels). Nothing above the trainer expects exceptions (the
  // wasm bindings, the CLI), so those end here as the same kind of error, naming the batch.
  try {
    return ComputeLossAndGradients(x0, class_labels, inputs, input_gradient);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("train step: out of memory for a batch of shape " + ShapeToString(x0.shape()) +
                       " (try a smaller batch)");
  }
}

Expected<float> Trainer::ComputeLossAndGradients(const Tensor& x0_in, const std::vector<int64_t>& labels_in,
                                                 const StepInputs& inputs, Tensor* input_gradient) {
  if (x0_in.rank() < 2 || x0_in.dim(0) < 1)
    return InvalidArgument("train step: x0 must be a batch [B, ...] with B >= 1, got shape " + ShapeToString(x0_in.shape()));
  const int64_t b = x0_in.dim(0);
  const size_t per = x0_in.size() / size_t(b);
  const auto& cfg = scheduler_.config();
  const int64_t T = cfg.num_train_timesteps;

  // 1. Randomness, in a fixed order: timesteps, noise, label dropout, flips.
  std::vector<int64_t> timesteps(static_cast<size_t>(b));
  if (inputs.timesteps) {
    if (int64_t(inputs.timesteps->size()) != b)
      return InvalidArgument("train step: " + std::to_string(inputs.timesteps->size()) + " timesteps for a batch of " +
                             std::to_string(b));
    timesteps = *inputs.timesteps;
    for (int64_t t : timesteps)
      if (t < 0 || t >= T) return InvalidArgument("train step: timestep " + std::to_string(t) + " outside [0, " +
                                                  std::to_string(T) + ")");
  } else {
    for (auto& t : timesteps) t = rng_.UniformInt(uint32_t(T));
  }
  DDPM_ASSIGN_OR_RETURN(Tensor noise, NewTensor(x0_in.shape()));
  if (inputs.noise) {
    if (inputs.noise->shape() != x0_in.shape())
      return InvalidArgument("train step: noise shape " + ShapeToString(inputs.noise->shape()) +
                             " does not match x0 shape " + ShapeToString(x0_in.shape()));
    std::copy(inputs.noise->data(), inputs.noise->data() + noise.size(), noise.data());
  } else {
    rng_.Normal(noise.data(), noise.size());
  }
  std::vector<int64_t> labels = labels_in;
  if (options_.label_dropout > 0 && !labels.empty()) {
    std::vector<float> u(labels.size());
    rng_.Uniform(u.data(), u.size());
    for (size_t i = 0; i < labels.size(); ++i)
      if (u[i] < options_.label_dropout) labels[i] = options_.null_class;
  }
  const Tensor* x0 = &x0_in;
  Tensor flipped;
  if (options_.random_flip && x0_in.rank() == 4) {
    std::vector<float> u(static_cast<size_t>(b));
    rng_.Uniform(u.data(), u.size());
    std::vector<uint8_t> flip(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) flip[i] = u[i] < 0.5f;
    DDPM_ASSIGN_OR_RETURN(flipped, NewTensor(x0_in.shape()));
    std::copy(x0_in.data(), x0_in.data() + x0_in.size(), flipped.data());
    FlipHorizontal(&flipped, flip);
    x0 = &flipped;
  }

  // 2. x_t and the regression target.
  DDPM_ASSIGN_OR_RETURN(Tensor x_t, scheduler_.AddNoise(*x0, noise, timesteps));
  Tensor velocity;
  const Tensor* target = &noise;  // epsilon
  if (cfg.prediction_type == "v_prediction") {
    DDPM_ASSIGN_OR_RETURN(velocity, scheduler_.GetVelocity(*x0, noise, timesteps));
    target = &velocity;
  } else if (cfg.prediction_type != "epsilon") {
    target = x0;  // sample
  }

  // 3. Forward, loss, d loss / d prediction.
  std::vector<float> tf(timesteps.begin(), timesteps.end());
  model_->ZeroGrad();
  DDPM_RETURN_IF_ERROR(model_->ForwardTrain(x_t, tf, labels, &pred_, pool_));
  if (pred_.shape() != target->shape())
    return InvalidArgument("train step: model output shape " + ShapeToString(pred_.shape()) +
                           " does not match the target's " + ShapeToString(target->shape()));
  std::vector<double> weight(static_cast<size_t>(b), 1.0);
  if (options_.min_snr_gamma > 0) {
    // min-SNR-γ: weight_t = min(SNR_t, γ) / SNR_t for ε (÷ (SNR_t + 1) for v), SNR_t = ᾱ_t / (1 − ᾱ_t).
    for (int64_t i = 0; i < b; ++i) {
      const double a = scheduler_.alphas_cumprod()[size_t(timesteps[i])];
      const double snr = a / (1.0 - a);
      const double clipped = std::min(snr, options_.min_snr_gamma);
      weight[i] = cfg.prediction_type == "v_prediction" ? clipped / (snr + 1.0)
                  : cfg.prediction_type == "epsilon"    ? clipped / snr
                                                        : clipped;
    }
  }
  DDPM_RETURN_IF_ERROR(ReuseTensor(&grad_, pred_.shape(), "the loss gradient"));
  double loss = 0.0;
  const double scale = 2.0 / double(pred_.size());
  for (int64_t i = 0; i < b; ++i) {
    double sum = 0.0;
    for (size_t k = i * per; k < (i + 1) * per; ++k) {
      const float d = pred_[k] - (*target)[k];
      sum += double(d) * d;
      grad_[k] = float(scale * weight[i] * d);
    }
    loss += weight[i] * sum;
  }
  loss /= double(pred_.size());
  if (!std::isfinite(loss)) return InvalidArgument("train step: the loss is not finite (diverged?)");

  // 4. Backward.
  DDPM_RETURN_IF_ERROR(model_->Backward(grad_, pool_));
  if (input_gradient) DDPM_RETURN_IF_ERROR(model_->InputGradient(input_gradient));
  return float(loss);
}

Expected<StepStats> Trainer::Step(const Tensor& x0, const std::vector<int64_t>& class_labels, const StepInputs& inputs) {
  StepStats s;
  DDPM_ASSIGN_OR_RETURN(s.loss, LossAndGradients(x0, class_labels, inputs));
  s.grad_norm = options_.max_grad_norm > 0 ? ClipGradNorm(params_, options_.max_grad_norm) : 0.0f;
  const int64_t step = optimizer_.step_count(), warmup = options_.warmup_steps;
  if (options_.total_steps > 0)
    s.lr = LearningRateAt(step, warmup, std::max(options_.total_steps, warmup), options_.lr);
  else  // constant after the warmup
    s.lr = step < warmup ? options_.lr * double(step) / double(warmup) : options_.lr;
  optimizer_.Step(params_, s.lr);
  if (ema_) ema_->Step(params_);
  return s;
}

void Trainer::SwapEmaIntoModel() {
  if (!ema_) return;
  for (size_t i = 0; i < params_.size(); ++i) std::swap_ranges(params_[i].value, params_[i].value + params_[i].size,
                                                               ema_->shadow()[i].begin());
}

Status Trainer::SaveCheckpoint(const std::string& path, const std::map<std::string, std::string>& extra) const {
  SafeTensorsWriter w;
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamRef& p = params_[i];
    const Shape shape{int64_t(p.size)};
    w.AddFloat("param." + p.name, shape, p.value);
    w.AddFloat("adam.exp_avg." + p.name, shape, const_cast<AdamW&>(optimizer_).exp_avg()[i].data());
    w.AddFloat("adam.exp_avg_sq." + p.name, shape, const_cast<AdamW&>(optimizer_).exp_avg_sq()[i].data());
    if (ema_) w.AddFloat("ema." + p.name, shape, ema_->shadow()[i].data());
  }
  for (const auto& [k, v] : extra) w.SetMetadata("extra." + k, v);
  w.SetMetadata("step", std::to_string(optimizer_.step_count()));
  w.SetMetadata("ema_step", std::to_string(ema_ ? ema_->step_count() : 0));
  w.SetMetadata("rng_seed", std::to_string(rng_.seed()));
  w.SetMetadata("rng_offset", std::to_string(rng_.offset()));
  w.SetMetadata("format", "ddpm-wasm-checkpoint-1");
  return w.WriteFile(path);
}

Status Trainer::LoadCheckpoint(const std::string& path, std::map<std::string, std::string>* extra) {
  DDPM_ASSIGN_OR_RETURN(SafeTensors st, SafeTensors::ReadFile(path));
  const auto& md = st.metadata();
  auto meta = [&](const std::string& key) -> Expected<uint64_t> {
    auto it = md.find(key);
    if (it == md.end()) return ParseError(path + ": checkpoint metadata lacks '" + key + "'");
    try {
      return uint64_t(std::stoull(it->second));
    } catch (...) {
      return ParseError(path + ": checkpoint metadata '" + key + "' is not a number");
    }
  };
  if (!md.count("format") || md.at("format") != "ddpm-wasm-checkpoint-1")
    return ParseError(path + ": not a ddpm-wasm checkpoint (format metadata missing or unknown)");
  auto copy_into = [&](const std::string& name, float* dst, size_t n) -> Status {
    DDPM_ASSIGN_OR_RETURN(Tensor t, st.GetFloat(name));
    if (t.size() != n)
      return InvalidArgument(path + ": tensor '" + name + "' has " + std::to_string(t.size()) + " values, model has " +
                             std::to_string(n) + " (different model config?)");
    std::memcpy(dst, t.data(), n * sizeof(float));
    return Status::Ok();
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamRef& p = params_[i];
    DDPM_RETURN_IF_ERROR(copy_into("param." + p.name, p.value, p.size));
    DDPM_RETURN_IF_ERROR(copy_into("adam.exp_avg." + p.name, optimizer_.exp_avg()[i].data(), p.size));
    DDPM_RETURN_IF_ERROR(copy_into("adam.exp_avg_sq." + p.name, optimizer_.exp_avg_sq()[i].data(), p.size));
    if (ema_) DDPM_RETURN_IF_ERROR(copy_into("ema." + p.name, ema_->shadow()[i].data(), p.size));
  }
  DDPM_ASSIGN_OR_RETURN(uint64_t step, meta("step"));
  DDPM_ASSIGN_OR_RETURN(uint64_t ema_step, meta("ema_step"));
  DDPM_ASSIGN_OR_RETURN(uint64_t seed, meta("rng_seed"));
  DDPM_ASSIGN_OR_RETURN(uint64_t offset, meta("rng_offset"));
  optimizer_.set_step_count(int64_t(step));
  if (ema_) ema_->set_step_count(int64_t(ema_step));
  rng_ = PhiloxRng(seed, offset);
  if (extra) {
    extra->clear();
    for (const auto& [k, v] : md)
      if (k.rfind("extra.", 0) == 0) (*extra)[k.substr(6)] = v;
  }
  return Status::Ok();
}

}  // namespace ddpm
