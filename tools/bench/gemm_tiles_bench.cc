// Register-tile sweep: runs GemmPackedBlock<MR, NR> (gemm-inl.h) single-threaded for several tile
// shapes on the best Highway target of this machine, to choose the tiles gemm.cc dispatches to.
//   gemm_tiles_bench [seconds per case]
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "gemm_tiles_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "kernels/f32_gemm/gemm-inl.h"
#include "kernels/f32_gemm/gemm.h"
#include "kernels/peak.h"
#include "bench_timer.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {

template <size_t MR, size_t NR, size_t KU = 4>
void RunTile(size_t m, size_t n, size_t k, double seconds, double peak) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(m * k), b(k * n), c(m * n), packed(k * ((n + NR - 1) / NR * NR));
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  PackGemmBPanels(n, k, b.data(), n, false, NR, packed.data());
  const size_t panels = (n + NR - 1) / NR;
  auto once = [&] {
    GemmPackedBlock<MR, NR, KU>(0, m, 0, panels, n, k, a.data(), k, packed.data(), nullptr, c.data(), n, false);
  };
  const double best = ddpm::bench::BestSeconds(once, seconds, /*cpu=*/true);
  const double gflops = 2.0 * m * n * k / best * 1e-9;
  std::printf("f32_gemm_%zux%zu__%s ku%zu  M=%zu K=%zu N=%zu  %7.2f GFLOP/s  %5.1f%%\n", MR, NR,
              hwy::TargetName(HWY_TARGET), KU, m, k, n, gflops, 100 * gflops / peak);
}

template <size_t MR, size_t NR>
void RunShapes(double seconds, double peak) {
  // 240 rows (a multiple of every MR here), short calls, best of many: robust on a shared machine.
  RunTile<MR, NR, 1>(240, 64, 576, seconds, peak);
  RunTile<MR, NR, 4>(240, 64, 576, seconds, peak);
  RunTile<MR, NR, 1>(240, 128, 1152, seconds, peak);
}

void TileSweep(double seconds, double peak) {
#if HWY_TARGET == HWY_WASM
  RunShapes<4, 8>(seconds, peak);
  RunShapes<5, 8>(seconds, peak);
  RunShapes<6, 8>(seconds, peak);
  RunShapes<3, 12>(seconds, peak);
  RunShapes<4, 12>(seconds, peak);
  RunShapes<2, 16>(seconds, peak);
  RunShapes<3, 16>(seconds, peak);
#elif HWY_TARGET == HWY_AVX2
  RunShapes<6, 16>(seconds, peak);
  RunShapes<4, 24>(seconds, peak);
  RunShapes<5, 16>(seconds, peak);
  RunShapes<3, 32>(seconds, peak);
#elif HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  RunShapes<8, 32>(seconds, peak);
  RunShapes<6, 32>(seconds, peak);
  RunShapes<12, 32>(seconds, peak);
  RunShapes<14, 32>(seconds, peak);
  RunShapes<7, 48>(seconds, peak);
  RunShapes<4, 64>(seconds, peak);
#else
  RunShapes<4, 8>(seconds, peak);
#endif
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {
HWY_EXPORT(TileSweep);
// Unqualified dispatch inside the namespace (the qualified form does not build in wasm).
void RunTileSweep(double seconds, double peak) { HWY_DYNAMIC_DISPATCH(TileSweep)(seconds, peak); }
}  // namespace ddpm::kernels

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.2;
#ifndef __EMSCRIPTEN__
  // Native: pin a lower target to sweep its tiles on a machine that has a better one.
  if (argc > 2 && std::string(argv[2]) == "avx2") hwy::SetSupportedTargetsForTest(HWY_AVX2);
#endif
  const double peak = ddpm::kernels::MeasurePeakFlops(0.3) * 1e-9;
  std::printf("peak (1 thread, %s): %.1f GFLOP/s\n", ddpm::kernels::PeakTargetName(), peak);
  ddpm::kernels::RunTileSweep(seconds, peak);
  return 0;
}
#endif  // HWY_ONCE
