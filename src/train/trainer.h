// One DDPM training step (Ho et al. 2020, Algorithm 1), model-agnostic:
//   t ~ U{0..T-1}, ε ~ N(0, I), x_t = sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·ε,
//   loss = mean w_t·‖target − model(x_t, t)‖², target = ε | v | x0 (prediction_type),
// then gradient-norm clipping, AdamW at the scheduled learning rate, and the EMA update.
// Randomness (t, ε, label dropout, flips) comes from one Philox stream whose position is part of
// the trainer state, so a resumed run continues bit for bit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "diffusion/scheduling_ddpm.h"
#include "nn/denoiser.h"
#include "train/optimizer.h"

namespace ddpm {

struct TrainOptions {
  double lr = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;   // for the cosine decay; 0 = constant lr after warmup
  AdamWOptions adamw;
  float max_grad_norm = 1.0f;  // <= 0 disables clipping
  bool use_ema = true;
  EmaOptions ema;
  double min_snr_gamma = 0.0;  // > 0 enables min-SNR-γ loss weighting (Hang et al. 2023)
  double label_dropout = 0.0;  // probability of replacing a label by null_class (classifier-free guidance)
  int64_t null_class = -1;
  bool random_flip = false;    // horizontal flip of NCHW images with probability 1/2
  uint64_t seed = 0;
};

// Every option in range, with a message naming the first that is not (for options from users: the
// JS Trainer; the CLI builds its own). label_dropout > 0 needs a null_class.
Status CheckTrainOptions(const TrainOptions& options);

struct StepStats {
  float loss = 0;
  float grad_norm = 0;
  double lr = 0;
};

// Optional caller-supplied randomness for a step (as the training references do).
struct StepInputs {
  const Tensor* noise = nullptr;
  const std::vector<int64_t>* timesteps = nullptr;
};

class Trainer {
 public:
  // The model must outlive the trainer. The scheduler gives ᾱ and the prediction type.
  Trainer(TrainableDenoiser* model, DDPMScheduler noise_scheduler, TrainOptions options, ThreadPool* pool);

  // Forward and backward only: the loss, with the gradients left in the model's ParamList.
  Expected<float> LossAndGradients(const Tensor& x0, const std::vector<int64_t>& class_labels,
                                   const StepInputs& inputs = {}, Tensor* input_gradient = nullptr);
  // A full optimisation step.
  Expected<StepStats> Step(const Tensor& x0, const std::vector<int64_t>& class_labels, const StepInputs& inputs = {});

  int64_t step() const { return optimizer_.step_count(); }
  const TrainOptions& options() const { return options_; }
  const DDPMScheduler& noise_scheduler() const { return scheduler_; }
  TrainableDenoiser* model() { return model_; }
  Ema* ema() { return ema_.get(); }
  PhiloxRng& rng() { return rng_; }

  // Copies the EMA weights into the model (for export/sampling) and back.
  void SwapEmaIntoModel();

  // Checkpoint: weights, EMA, AdamW moments, step counters and the RNG position in one safetensors
  // file written atomically; `extra` carries the caller's state (e.g. data position) as strings.
  Status SaveCheckpoint(const std::string& path, const std::map<std::string, std::string>& extra) const;
  Status LoadCheckpoint(const std::string& path, std::map<std::string, std::string>* extra);

 private:
  // LossAndGradients without the catch of std::bad_alloc.
  Expected<float> ComputeLossAndGradients(const Tensor& x0, const std::vector<int64_t>& class_labels,
                                          const StepInputs& inputs, Tensor* input_gradient);

  TrainableDenoiser* model_;
  DDPMScheduler scheduler_;
  TrainOptions options_;
  ThreadPool* pool_;
  ParamList params_;
  AdamW optimizer_;
  std::unique_ptr<Ema> ema_;
  PhiloxRng rng_;
  Tensor pred_, grad_;
};

}  // namespace ddpm
