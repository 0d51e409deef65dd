#include "train/train_bench.h"

#include <chrono>
#include <ctime>
#include <cstdio>

#include "base/rng.h"
#include "base/thread_pool.h"
#include "io/file_util.h"
#include "io/json_config.h"
#include "kernels/peak.h"
#include "train/trainer.h"

namespace ddpm {

namespace {

Expected<std::unique_ptr<nn::train::UNet2DTrainable>> LoadBenchModel(const std::string& path) {
  if (IsDirectory(path)) return nn::train::UNet2DTrainable::FromPretrained(path);
  DDPM_ASSIGN_OR_RETURN(JsonConfig config, JsonConfig::ReadFile(path));
  return nn::train::UNet2DTrainable::FromConfig(config, /*seed=*/0);
}

}  // namespace

Expected<TrainBenchReport> RunTrainBench(const TrainBenchOptions& o) {
  if (o.batch <= 0) return InvalidArgument("bench --train: batch must be positive");
  if (o.steps <= 0) return InvalidArgument("bench --train: steps must be positive");
  DDPM_ASSIGN_OR_RETURN(auto model, LoadBenchModel(o.model));
  const auto& cfg = model->config();
  TrainBenchReport r;
  r.batch = o.batch;
  r.height = o.height > 0 ? o.height : cfg.sample_height;
  r.width = o.width > 0 ? o.width : cfg.sample_width;
  if (r.height <= 0 || r.width <= 0)
    return InvalidArgument("bench --train: the config has no sample_size; give a height and width");
  r.parameters = model->num_parameters();
  r.train_flops_per_image = 3.0 * model->ForwardFlopsPerImage(r.height, r.width);
  r.peak_gflops_one_thread = kernels::MeasurePeakFlops(o.peak_seconds) * 1e-9;
  r.peak_target = kernels::PeakTargetName();

  // A fixed batch of images in [-1, 1] and labels; the trainer draws t and ε from its seeded RNG.
  Tensor x0({o.batch, cfg.in_channels, r.height, r.width});
  PhiloxRng rng(1);
  rng.Uniform(x0.data(), x0.size());
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = 2.0f * x0[i] - 1.0f;
  std::vector<int64_t> labels;
  if (cfg.num_class_embeds)
    for (int i = 0; i < o.batch; ++i) labels.push_back(i % *cfg.num_class_embeds);
  DDPM_ASSIGN_OR_RETURN(DDPMScheduler scheduler, DDPMScheduler::FromJson(R"({"beta_schedule": "linear"})"));

  for (int threads : o.threads) {
    ThreadPool pool(threads);
    TrainOptions to;
    to.use_ema = true;
    to.ema.use_ema_warmup = true;
    Trainer trainer(model.get(), scheduler, to, &pool);
    for (int i = 0; i < o.warmup_steps; ++i) DDPM_RETURN_IF_ERROR(trainer.Step(x0, labels).status());
    r.memory = model->memory();
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.steps; ++i) DDPM_RETURN_IF_ERROR(trainer.Step(x0, labels).status());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / o.steps;
    const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC / o.steps;
    TrainBenchRow row;
    row.cpu_seconds_per_step = cpu;
    // The two halves alone (same batch, t = 500), for where the time goes.
    {
      Tensor out;
      const std::vector<float> t(size_t(o.batch), 500.0f);
      std::clock_t c0 = std::clock();
      DDPM_RETURN_IF_ERROR(model->ForwardTrain(x0, t, labels, &out, &pool));
      row.forward_cpu_seconds = double(std::clock() - c0) / CLOCKS_PER_SEC;
      c0 = std::clock();
      DDPM_RETURN_IF_ERROR(model->Backward(out, &pool));
      row.backward_cpu_seconds = double(std::clock() - c0) / CLOCKS_PER_SEC;
    }
    row.threads = pool.num_threads();
    row.seconds_per_step = s;
    row.images_per_second = o.batch / s;
    row.gflops = r.train_flops_per_image * o.batch / s * 1e-9;
    row.percent_of_peak = 100.0 * row.gflops / (r.peak_gflops_one_thread * row.threads);
    r.rows.push_back(row);
  }
  return r;
}

std::string TrainBenchReport::ToString() const {
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf,
                "train step (forward + backward + clip + AdamW + EMA), batch %d at %dx%d, %lld parameters, "
                "%.3f GFLOP per image (3x forward)\n",
                batch, height, width, static_cast<long long>(parameters), train_flops_per_image * 1e-9);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "memory: parameters+grads %.1f MB, saved activations %.1f MB, activation gradients %.1f MB, "
                "workspace %.1f MB (activations total %.1f MB)\n",
                memory.parameters / 1e6, memory.saved / 1e6, memory.gradients / 1e6, memory.workspace / 1e6,
                memory.activations_total() / 1e6);
  s += buf;
  std::snprintf(buf, sizeof buf, "peak (one thread, %s): %.2f GFLOP/s\n", peak_target.c_str(), peak_gflops_one_thread);
  s += buf;
  for (const TrainBenchRow& r : rows) {
    std::snprintf(buf, sizeof buf,
                  "threads %d: %.3f s/step (cpu %.3f s: forward %.3f, backward %.3f), %.2f images/s, %.2f GFLOP/s "
                  "(%.1f%% of %d x peak)\n",
                  r.threads, r.seconds_per_step, r.cpu_seconds_per_step, r.forward_cpu_seconds,
                  r.backward_cpu_seconds, r.images_per_second, r.gflops, r.percent_of_peak, r.threads);
    s += buf;
  }
  return s;
}

}  // namespace ddpm
