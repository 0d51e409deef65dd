// `ddpm train`: the whole run around Trainer: data, model, the loop, and what it leaves behind in
// the output folder, which is always a loadable pipeline:
//   model_index.json, unet/{config.json, diffusion_pytorch_model.safetensors} (EMA weights),
//   scheduler/scheduler_config.json, checkpoint.safetensors (everything --resume needs),
//   loss.csv, loss.png, samples/step_NNNNNNN.png.
// A run is deterministic for (seed, thread count); resuming continues exactly as if never stopped.
// Application code, not the core (src/train holds Trainer, BatchSampler and the pipeline export): it lives
// beside the CLI that runs it, in the ddpm_train_app library the unit tests link too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"

namespace ddpm {

struct TrainProgress {
  int64_t step = 0, total = 0;
  float loss = 0, grad_norm = 0;
  double lr = 0;
  double examples_per_second = 0;
  const char* event = nullptr;  // "checkpoint", "sample" or nullptr for a plain step
};

struct TrainRunOptions {
  std::string data = "fashion-mnist";
  std::string out_dir;
  std::string model_config;      // a config.json for the model; empty = the default for the data
  int64_t steps = 10000;         // total optimisation steps of the run (a resumed run continues to it)
  int64_t batch_size = 64;
  double lr = 0;                 // 0 = default for the data (1e-3 toy, 5e-4 images)
  int64_t warmup_steps = -1;     // -1 = min(500, steps / 10)
  std::string lr_schedule = "cosine";  // "cosine" (to 0 at `steps`) or "constant" (after the warmup)
  double min_snr_gamma = 0;      // > 0: min-SNR-γ loss weighting
  double ema_decay = 0.999;
  double label_dropout = 0.1;    // for classifier-free guidance (labelled data only)
  bool resume = false;
  uint64_t seed = 0;
  int threads = 1;
  int64_t checkpoint_every = 1000;
  int64_t sample_every = 1000;
  std::string export_dtype = "f32";  // the exported unet weights: f32, f16 or bf16 (the checkpoint keeps f32)
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to checkpoint and return kCancelled
  std::function<void(const TrainProgress&)> on_progress;
};

Status RunTraining(const TrainRunOptions& options);

}  // namespace ddpm
