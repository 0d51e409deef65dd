// ddpm bench: time UNet forward passes at a batch size and compare the achieved FLOP rate with the
// machine's measured peak (kernels::MeasurePeakFlops, same run). --profile attributes time to layers
// by timestamping the model's intermediate-output hook (time since the previous named output).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/thread_pool.h"
#include "cli_common.h"
#include "commands.h"
#include "kernels/conv2d/backend.h"
#include "kernels/f32_gemm/gemm.h"
#include "kernels/peak.h"
#include "train/train_bench.h"

namespace ddpm::cli {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// "down_blocks.1.attentions.0" -> "attentions", "up_blocks.0.upsamplers.0" -> "upsamplers".
std::string LayerKind(const std::string& name) {
  for (const char* kind : {"resnets", "attentions", "downsamplers", "upsamplers"}) {
    if (name.find(kind) != std::string::npos) return kind;
  }
  return name;
}

class BenchCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("bench", "Time UNet forward passes; GFLOP/s against the measured peak");
    sub->add_option("--model", model_, "diffusers UNet folder or pipeline folder")->required();
    sub->add_option("--batch", batch_, "images per forward pass")->default_val(1)->check(CLI::Range(1, 4096));
    AddThreadsOption(sub, &threads_);
    sub->add_option("--seconds", seconds_, "minimum timed duration")->default_val(3.0);
    sub->add_option("--backend", backend_, "conv backend: auto, ddpm, xnnpack")->default_val("auto");
    sub->add_flag("--profile", profile_, "time per layer kind");
    sub->add_flag("--json", json_, "also print the results as one JSON line (GFLOP, ms, peaks in GFLOP/s)");
    sub->add_flag("--train", train_, "time training steps (forward + backward + AdamW + EMA) instead");
    return sub;
  }

  int Run() override {
    if (Status st = SelectBackend(backend_); !st.ok()) return Fail("bench", st);
    if (train_) {
      TrainBenchOptions o;
      o.model = model_;
      o.batch = batch_;
      // 1 thread and the asked-for count, interleaved: the ratio between them is part of the report.
      const int threads = ResolveThreads(threads_);
      o.threads = threads > 1 ? std::vector<int>{1, threads} : std::vector<int>{1};
      o.seconds = seconds_;
      auto report = RunTrainBench(o);
      if (!report.ok()) return Fail("bench", report.status());
      std::printf("%s", report->ToString().c_str());
      if (json_) std::printf("%s\n", report->ToJson().c_str());
      return 0;
    }
    auto model = nn::UNet2DModel::FromPretrained(model_);
    if (!model.ok()) return Fail("bench", model.status());
    auto& m = **model;
    const auto& c = m.config();
    if (c.sample_height <= 0) return Fail("bench", InvalidArgument(model_ + ": config has no sample_size"));
    const int threads = ResolveThreads(threads_);
    ThreadPool pool(threads);

    Tensor x({batch_, c.in_channels, c.sample_height, c.sample_width});
    PhiloxRng rng(0);
    rng.Normal(x.data(), x.size());
    std::vector<float> t(batch_, 500.0f);
    std::vector<int64_t> labels;
    if (c.num_class_embeds) labels.assign(batch_, 0);
    Tensor out;
    auto t0 = Clock::now();
    if (Status st = m.ForwardInto(x, t, labels, &out, &pool); !st.ok()) return Fail("bench", st);
    const double first = Seconds(t0, Clock::now());

    std::map<std::string, double> by_kind;
    Clock::time_point last;
    if (profile_) {
      m.set_hook([&](const std::string& name, const float*, const Shape&) {
        const auto now = Clock::now();
        by_kind[LayerKind(name)] += Seconds(last, now);
        last = now;
      });
    }
    // Per-run times: the median is the figure to compare (a shared machine makes the mean noisy).
    std::vector<double> runs;
    t0 = Clock::now();
    double total = 0;
    while (runs.size() < 3 || total < seconds_) {
      const auto r0 = Clock::now();
      last = r0;
      if (Status st = m.ForwardInto(x, t, labels, &out, &pool); !st.ok()) return Fail("bench", st);
      const auto r1 = Clock::now();
      runs.push_back(Seconds(r0, r1));
      total = Seconds(t0, r1);
    }
    const int iters = int(runs.size());
    std::vector<double> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2], best = sorted.front();
    const double per = total / iters;
    const double flops = m.FlopsPerImage(c.sample_height, c.sample_width) * batch_;
    // Single-thread peaks of every SIMD target here (AVX3 and AVX2 natively, WASM in wasm), best first.
    const auto peaks = kernels::MeasurePeakFlopsPerTarget(0.5);
    std::printf("model %s: %dx%dx%d, batch %d, threads %d, conv backend %s, gemm %s\n", model_.c_str(),
                c.in_channels, c.sample_height, c.sample_width, batch_, threads,
                kernels::BackendName(kernels::GetBackend()), kernels::GemmKernelName());
    std::printf("forward: median %.2f ms, min %.2f ms, mean %.2f ms (%d runs; first run %.2f ms), %.2f ms per image\n",
                median * 1e3, best * 1e3, per * 1e3, iters, first * 1e3, median * 1e3 / batch_);
    std::printf("work: %.3f GFLOP per forward -> %.2f GFLOP/s (median)\n", flops / 1e9, flops / median / 1e9);
    for (const auto& p : peaks) {
      std::printf("peak: %.2f GFLOP/s per thread (%s) x %d = %.2f GFLOP/s; achieved %.1f%% of peak\n", p.flops / 1e9,
                  p.target.c_str(), threads, p.flops * threads / 1e9, 100.0 * flops / median / (p.flops * threads));
    }
    std::printf("arena: %.2f MB\n", m.arena().bytes() / 1e6);
    if (profile_) {
      std::vector<std::pair<double, std::string>> rows;
      double sum = 0;
      for (auto& [k, v] : by_kind) {
        rows.emplace_back(v / iters, k);
        sum += v / iters;
      }
      std::sort(rows.rbegin(), rows.rend());
      std::printf("profile (time until each named output, per forward):\n");
      for (auto& [v, k] : rows) std::printf("  %-16s %8.2f ms  %5.1f%%\n", k.c_str(), v * 1e3, 100 * v / sum);
    }
    if (json_) {  // one line for scripts (tools/bench.mjs)
      std::printf("{\"batch\": %d, \"threads\": %d, \"backend\": \"%s\", \"gemm\": \"%s\", \"median_ms\": %.4f, "
                  "\"min_ms\": %.4f, \"mean_ms\": %.4f, \"runs\": %d, \"gflop\": %.6f, \"peaks\": {",
                  batch_, threads, kernels::BackendName(kernels::GetBackend()), kernels::GemmKernelName(), median * 1e3,
                  best * 1e3, per * 1e3, iters, flops / 1e9);
      for (size_t i = 0; i < peaks.size(); ++i) {
        std::printf("%s\"%s\": %.4f", i ? ", " : "", peaks[i].target.c_str(), peaks[i].flops / 1e9);
      }
      std::printf("}}\n");
    }
    return 0;
  }

 private:
  std::string model_, backend_;
  int batch_ = 1, threads_ = 1;
  double seconds_ = 3.0;
  bool profile_ = false, train_ = false, json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeBenchCommand() { return std::make_unique<BenchCommand>(); }

}  // namespace ddpm::cli
