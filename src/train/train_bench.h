// `ddpm bench --train`: speed of full training steps (forward + backward + clip + AdamW + EMA) of a
// UNet2DTrainable, in images/s and GFLOP/s, beside this machine's peak measured in the same run: one
// thread alone, and all the run's threads at once (kernels::MeasurePeakFlops on every thread
// concurrently: the n-core peak, which a shared or throttled machine may hold below n x one core).
// Thread counts are timed in interleaved rounds (1, 2, 1, 2, ...) and reported by their median, so a
// machine whose speed drifts does not favour whichever ran first.
// FLOPs count the forward's multiply-adds (x2) and the backward as twice the forward (dX and dW are
// each a forward-sized GEMM): 3x forward per image.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "nn/train/unet2d_trainable.h"

namespace ddpm {

struct TrainBenchOptions {
  std::string model;             // a UNet folder / pipeline folder, or a config.json (random weights)
  int batch = 16;
  int height = 0, width = 0;     // 0 = the config's sample_size
  std::vector<int> threads = {1, 2};
  int warmup_steps = 1;
  int rounds = 3;                // interleaved rounds over the thread counts
  double seconds = 2.0;          // minimum timed time per thread count and round (at least one step)
  double peak_seconds = 0.5;     // MeasurePeakFlops duration
};

struct TrainBenchRow {
  int threads = 1;
  double seconds_per_step = 0;      // wall clock, median over rounds
  double cpu_seconds_per_step = 0;  // process CPU time (all threads): the cost on a busy machine
  double images_per_second = 0;
  double gflops = 0;                // achieved, 3x forward FLOPs
  double peak_gflops = 0;           // this many threads' concurrent peak
  double percent_of_peak = 0;       // of peak_gflops
};

struct TrainBenchReport {
  int batch = 0, height = 0, width = 0;
  int64_t parameters = 0;
  double train_flops_per_image = 0;  // 3x forward
  double peak_gflops_one_thread = 0;
  std::string peak_target;
  nn::train::TrainMemory memory;     // after the first step (buffers are sized then)
  std::vector<TrainBenchRow> rows;

  std::string ToString() const;
  std::string ToJson() const;  // one line, for tools/bench.mjs
};

Expected<TrainBenchReport> RunTrainBench(const TrainBenchOptions& options);

}  // namespace ddpm
