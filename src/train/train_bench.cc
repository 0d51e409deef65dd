#include "train/train_bench.h"

#include <algorithm>
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

// The concurrent peak of `pool`'s threads: every thread runs the peak loop at once; the sum of their rates.
double ConcurrentPeakFlops(ThreadPool& pool, double seconds) {
  std::vector<double> peaks(size_t(pool.num_threads()), 0.0);
  pool.ParallelFor(peaks.size(), [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) peaks[i] = kernels::MeasurePeakFlops(seconds);
  });
  double sum = 0;
  for (double p : peaks) sum += p;
  return sum;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

Expected<TrainBenchReport> RunTrainBench(const TrainBenchOptions& o) {
  if (o.batch <= 0) return InvalidArgument("bench --train: batch must be positive");
  if (o.rounds <= 0) return InvalidArgument("bench --train: rounds must be positive");
  if (o.threads.empty()) return InvalidArgument("bench --train: no thread counts");
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

  struct Cell {
    std::unique_ptr<ThreadPool> pool;
    std::unique_ptr<Trainer> trainer;
    std::vector<double> wall, cpu;
    double peak = 0;
  };
  std::vector<Cell> cells(o.threads.size());
  TrainOptions to;
  to.use_ema = true;
  to.ema.use_ema_warmup = true;
  for (size_t i = 0; i < cells.size(); ++i) {
    Cell& c = cells[i];
    c.pool = std::make_unique<ThreadPool>(o.threads[i]);
    c.trainer = std::make_unique<Trainer>(model.get(), scheduler, to, c.pool.get());
    c.peak = c.pool->num_threads() == 1 ? r.peak_gflops_one_thread * 1e9 : ConcurrentPeakFlops(*c.pool, o.peak_seconds);
    for (int s = 0; s < o.warmup_steps; ++s) DDPM_RETURN_IF_ERROR(c.trainer->Step(x0, labels).status());
  }
  r.memory = model->memory();
  for (int round = 0; round < o.rounds; ++round) {
    for (Cell& c : cells) {
      const std::clock_t cpu_start = std::clock();
      const auto start = std::chrono::steady_clock::now();
      int steps = 0;
      double elapsed = 0;
      do {
        DDPM_RETURN_IF_ERROR(c.trainer->Step(x0, labels).status());
        ++steps;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      } while (elapsed < o.seconds);
      c.wall.push_back(elapsed / steps);
      c.cpu.push_back(double(std::clock() - cpu_start) / CLOCKS_PER_SEC / steps);
    }
  }
  for (Cell& c : cells) {
    TrainBenchRow row;
    row.threads = c.pool->num_threads();
    row.seconds_per_step = Median(c.wall);
    row.cpu_seconds_per_step = Median(c.cpu);
    row.images_per_second = o.batch / row.seconds_per_step;
    row.gflops = r.train_flops_per_image * o.batch / row.seconds_per_step * 1e-9;
    row.peak_gflops = c.peak * 1e-9;
    row.percent_of_peak = 100.0 * row.gflops / row.peak_gflops;
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
  for (const TrainBenchRow& r : rows) {
    std::snprintf(buf, sizeof buf, "peak (%d thread%s at once, %s): %.2f GFLOP/s\n", r.threads,
                  r.threads == 1 ? "" : "s", peak_target.c_str(), r.peak_gflops);
    s += buf;
  }
  for (const TrainBenchRow& r : rows) {
    std::snprintf(buf, sizeof buf,
                  "threads %d: %.3f s/step (cpu %.3f s), %.2f images/s, %.2f GFLOP/s (%.1f%% of the %d-thread peak)\n",
                  r.threads, r.seconds_per_step, r.cpu_seconds_per_step, r.images_per_second, r.gflops,
                  r.percent_of_peak, r.threads);
    s += buf;
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    std::snprintf(buf, sizeof buf, "threads %d vs %d: %.2fx the images/s\n", rows[i].threads, rows[0].threads,
                  rows[i].images_per_second / rows[0].images_per_second);
    s += buf;
  }
  return s;
}

std::string TrainBenchReport::ToJson() const {
  std::string s = "{\"batch\": " + std::to_string(batch) + ", \"parameters\": " + std::to_string(parameters) +
                  ", \"train_gflop_per_image\": " + std::to_string(train_flops_per_image * 1e-9) +
                  ", \"peak_target\": \"" + peak_target + "\", \"rows\": [";
  char buf[256];
  for (size_t i = 0; i < rows.size(); ++i) {
    const TrainBenchRow& r = rows[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"threads\": %d, \"s_per_step\": %.5f, \"images_per_s\": %.3f, \"gflops\": %.3f, "
                  "\"peak_gflops\": %.3f, \"percent_of_peak\": %.2f}",
                  i ? ", " : "", r.threads, r.seconds_per_step, r.images_per_second, r.gflops, r.peak_gflops,
                  r.percent_of_peak);
    s += buf;
  }
  return s + "]}";
}

}  // namespace ddpm
