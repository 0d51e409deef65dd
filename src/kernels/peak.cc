// Peak loop: kChains independent vector chains acc = acc * m + c, so throughput, not latency, bounds
// it (FMA latency 4 x 2 pipes needs 8 chains; wasm's separate mul (3) + add (3) on 2+2 pipes needs
// 12). 12 accumulators + 2 constants fit the 16 registers of SSE/AVX2/wasm without spilling.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/peak.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <chrono>
#include <cstddef>

#include "hwy/highway.h"
#include "kernels/peak.h"
#include "hwy/targets.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kChains = 12;

// Runs `iters` steps of every chain; returns a value that depends on all of them (defeats DCE).
HWY_NOINLINE float PeakLoop(size_t iters) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V m = hn::Set(d, 0.9999999f), c = hn::Set(d, 1e-7f);
  V acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = hn::Set(d, float(i));
  for (size_t it = 0; it < iters; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = hn::MulAdd(acc[i], m, c);
  }
  V sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = hn::Add(sum, acc[i]);
  return hn::GetLane(sum);
}

// Calls PeakLoop in short bursts: V8 runs a wasm function in its baseline compiler (Liftoff, which
// keeps vectors on the stack) until a later call enters the optimised tier (no on-stack replacement),
// so one long call would measure Liftoff. An untimed warm-up of ~1/4 of the budget comes first.
double Peak(double seconds) {
  const size_t lanes = hn::Lanes(hn::ScalableTag<float>());
  using Clock = std::chrono::steady_clock;
  constexpr size_t kIters = 4096, kCallsPerCheck = 64;
  volatile float sink = 0;
  volatile size_t iters = kIters;  // read per call: PeakLoop is pure, so a constant call would be hoisted
  // The machine may be shared: report the best short window (~0.1 ms of loop), not the average, so
  // time slices lost to other processes do not count against the peak.
  auto run = [&](double budget) {
    double best = 0;
    const auto start = Clock::now();
    for (auto t0 = start; std::chrono::duration<double>(t0 - start).count() < budget;) {
      for (size_t i = 0; i < kCallsPerCheck; ++i) sink = sink + PeakLoop(iters);
      const auto t1 = Clock::now();
      const double rate = double(kCallsPerCheck) * kIters * kChains * lanes * 2 /
                          std::chrono::duration<double>(t1 - t0).count();
      if (rate > best) best = rate;
      t0 = t1;
    }
    return best;
  };
  run(seconds / 4);
  return run(seconds);
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {
HWY_EXPORT(Peak);
HWY_EXPORT(TargetName);

double MeasurePeakFlops(double seconds) { return HWY_DYNAMIC_DISPATCH(Peak)(seconds); }
const char* PeakTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

std::vector<TargetPeak> MeasurePeakFlopsPerTarget(double seconds) {
  std::vector<TargetPeak> out;
#if HWY_ARCH_X86
  const uint32_t supported = hwy::SupportedTargets();
#if HWY_TARGETS & HWY_AVX3
  if (supported & HWY_AVX3) out.push_back({hwy::TargetName(HWY_AVX3), N_AVX3::Peak(seconds)});
#endif
#if HWY_TARGETS & HWY_AVX2
  if (supported & HWY_AVX2) out.push_back({hwy::TargetName(HWY_AVX2), N_AVX2::Peak(seconds)});
#endif
#endif
  if (out.empty()) out.push_back({PeakTargetName(), MeasurePeakFlops(seconds)});
  return out;
}
}  // namespace ddpm::kernels
#endif  // HWY_ONCE
