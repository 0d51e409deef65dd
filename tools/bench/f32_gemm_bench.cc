// Microbenchmark of the f32 GEMM and Conv2d over the UNet's 3x3-conv shapes:
//   M = H*W*batch (output pixels), K = 9*C, N = Cout = C,  C in {32, 64, 128}, H = W in {32, 16, 8}.
// Prints GFLOP/s (best of the timed repetitions: the machine is shared) and % of MeasurePeakFlops.
//   f32_gemm_bench [--threads N] [--batch B] [--seconds S per case] [--backend ddpm|xnnpack]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "base/thread_pool.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/f32_gemm/gemm.h"
#include "kernels/peak.h"

namespace {

using Clock = std::chrono::steady_clock;

// Best seconds per call of fn over repetitions filling about `budget` seconds (at least 3 calls).
double BestSeconds(const std::function<void()>& fn, double budget) {
  // Warm-up (at least one call): pages in buffers and, in wasm, lets V8 swap in its optimised tier,
  // which it compiles in the background and only enters at a later call.
  const auto w0 = Clock::now();
  do fn(); while (std::chrono::duration<double>(Clock::now() - w0).count() < budget / 2);
  double best = 1e30, total = 0;
  for (int rep = 0; rep < 3 || total < budget; ++rep) {
    const auto t0 = Clock::now();
    fn();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
    if (rep > 1000) break;
  }
  return best;
}

std::vector<float> Random(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, batch = 8;
  double seconds = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--batch") batch = std::atoi(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s (valid: --threads, --batch, --seconds)\n", argv[i]);
      return 2;
    }
  }
  using namespace ddpm;
  using namespace ddpm::kernels;
  const double peak = MeasurePeakFlops(0.5);
  std::printf("peak (1 thread, %s): %.1f GFLOP/s; kernel %s; threads %d; batch %d\n", PeakTargetName(),
              peak * 1e-9, GemmKernelName(), threads, batch);
  const double peak_all = peak * threads;
  ThreadPool pool(threads);
  std::mt19937 rng(42);
  std::printf("%-12s %4s %4s %6s %5s %4s %9s %7s\n", "op", "H", "C", "M", "K", "N", "GFLOP/s", "%peak");
  for (int c : {32, 64, 128}) {
    for (int hw : {32, 16, 8}) {
      const size_t m = size_t(hw) * hw * batch, k = 9 * size_t(c), n = c;
      const double flops = 2.0 * m * n * k;
      Conv2dParams p;
      p.cin = p.cout = c;
      const auto weight = Random(n * k, rng), bias = Random(n, rng), x = Random(m * c, rng);
      const auto a = Random(m * k, rng);
      std::vector<float> y(m * n);
      const PackedConv2d packed = PackedConv2d::Pack(p, weight.data(), bias.data());
      std::vector<float> scratch(std::max(Conv2dScratchFloats(packed, batch, hw, hw, threads),
                                          GemmScratchFloats(n, k, threads)));
      auto report = [&](const char* op, double s) {
        std::printf("%-12s %4d %4d %6zu %5zu %4zu %9.2f %6.1f%%\n", op, hw, c, m, k, n, flops / s * 1e-9,
                    100.0 * flops / s / peak_all);
        std::fflush(stdout);
      };
      report("gemm_packed", BestSeconds([&] {
               GemmPacked(m, n, k, a.data(), k, packed.packed(), packed.bias(), y.data(), n, false, &pool);
             }, seconds));
      report("gemm", BestSeconds([&] {
               Gemm(m, n, k, a.data(), k, weight.data(), k, true, y.data(), n, false, scratch.data(), &pool);
             }, seconds));
      report("conv2d", BestSeconds([&] {
               Conv2d(packed, x.data(), batch, hw, hw, y.data(), false, scratch.data(), &pool);
             }, seconds));
    }
  }
  return 0;
}
