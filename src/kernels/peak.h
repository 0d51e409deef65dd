// Measured single-thread f32 peak of this machine for the kernels' best target, the yardstick for
// "% of peak" in benchmarks.
#pragma once

#include <string>
#include <vector>

namespace ddpm::kernels {

// Measured peak f32 FLOP/s of one thread on this target (mul+add on wasm, FMA natively): a register-only
// loop of independent accumulators, timed for about `seconds`.
double MeasurePeakFlops(double seconds);

// Highway target the peak loop ran on (e.g. "AVX3", "WASM").
const char* PeakTargetName();

// The same loop on each SIMD target that this build has and this CPU runs (AVX3, AVX2 natively; WASM,
// i.e. simd128, in wasm), best first, each timed for about `seconds`. AVX2 is the FMA-on-8-lanes
// yardstick the performance goals are written against, whatever the best target is.
struct TargetPeak {
  std::string target;
  double flops = 0;  // f32 FLOP/s of one thread
};
std::vector<TargetPeak> MeasurePeakFlopsPerTarget(double seconds);

}  // namespace ddpm::kernels
