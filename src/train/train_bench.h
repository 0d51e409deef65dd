// `ddpm bench --train`: speed of full training steps (forward + backward + clip + AdamW + EMA) of a
// UNet2DTrainable, in images/s and GFLOP/s, beside the measured single-thread peak of this machine
// (kernels::MeasurePeakFlops) from the same run. FLOPs count the forward's multiply-adds (x2) and the
// backward as twice the forward (dX and dW are each a forward-sized GEMM): 3x forward per image.
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
  int warmup_steps = 1, steps = 3;
  double peak_seconds = 0.5;     // MeasurePeakFlops duration
};

struct TrainBenchRow {
  int threads = 1;
  double seconds_per_step = 0;      // wall clock
  double cpu_seconds_per_step = 0;  // process CPU time (all threads): the cost on a busy machine
  double images_per_second = 0;
  double forward_cpu_seconds = 0, backward_cpu_seconds = 0;  // one ForwardTrain / Backward alone
  double gflops = 0;              // achieved, 3x forward FLOPs
  double percent_of_peak = 0;     // of threads x the single-thread peak
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
};

Expected<TrainBenchReport> RunTrainBench(const TrainBenchOptions& options);

}  // namespace ddpm
