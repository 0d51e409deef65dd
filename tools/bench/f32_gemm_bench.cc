// Microbenchmark of the f32 GEMM and Conv2d over the UNet's 3x3-conv shapes:
//   M = H*W*batch (output pixels), K = 9*C, N = Cout = C,  C in {32, 64, 128}, H = W in {32, 16, 8}.
// Prints GFLOP/s (best of the timed repetitions: the machine is shared) and % of MeasurePeakFlops.
//   f32_gemm_bench [--threads N] [--batch B] [--seconds S per case]
// Natively with XNNPACK it also times Conv2d on Backend::kXnnpack (conv2d_xnn). conv_dw and conv_dw+dx
// time the training backward of the same convolution (weight gradient; weight and input gradients).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "base/thread_pool.h"
#include "kernels/conv2d/backend.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/f32_gemm/gemm.h"
#include "kernels/peak.h"
#include "nn/train/conv2d_train.h"
#include "bench_timer.h"

namespace {

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
  const bool cpu = threads == 1;  // CPU time excludes time slices lost to other processes
  std::printf("peak (1 thread, %s): %.1f GFLOP/s; kernel %s; threads %d; batch %d; timer %s\n",
              PeakTargetName(), peak * 1e-9, GemmKernelName(), threads, batch, cpu ? "cpu" : "wall");
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
      report("gemm_packed", ddpm::bench::BestSeconds([&] {
               GemmPacked(m, n, k, a.data(), k, packed.packed(), packed.bias(), y.data(), n, false, &pool);
             }, seconds, cpu));
      report("gemm", ddpm::bench::BestSeconds([&] {
               Gemm(m, n, k, a.data(), k, weight.data(), k, true, y.data(), n, false, scratch.data(), &pool);
             }, seconds, cpu));
      report("conv2d", ddpm::bench::BestSeconds([&] {
               Conv2d(packed, x.data(), batch, hw, hw, y.data(), false, scratch.data(), &pool);
             }, seconds, cpu));
      // The training backward of the same conv (src/nn/train/conv2d_train.h): the weight gradient
      // (im2col blocks + GEMM, no dx) and the whole backward (+ dx as the flipped conv); each is one
      // forward's FLOPs of work, so the rows read against the forward's.
      {
        const nn::train::ConvGeom g = nn::train::MakeConvGeom(p, batch, hw, hw);
        PackedConv2d dx_weights;
        dx_weights.RepackInputGradient(p, weight.data());
        std::vector<float> dw(n * k), db(n), dx(m * c), bwd(nn::train::Conv2dBackwardScratchFloats(g, threads) + 16);
        float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(bwd.data()) + 63) & ~uintptr_t(63));
        const auto dy = Random(m * n, rng);
        report("conv_dw", ddpm::bench::BestSeconds([&] {
                 nn::train::Conv2dBackward(nullptr, dw.data(), db.data(), dy.data(), x.data(), weight.data(), g,
                                           &dx_weights, aligned, &pool);
               }, seconds, cpu));
        const double both = ddpm::bench::BestSeconds([&] {
          nn::train::Conv2dBackward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), weight.data(), g,
                                    &dx_weights, aligned, &pool);
        }, seconds, cpu);
        std::printf("%-12s %4d %4d %6zu %5zu %4zu %9.2f %6.1f%%\n", "conv_dw+dx", hw, c, m, k, n, 2 * flops / both * 1e-9,
                    100.0 * 2 * flops / both / peak_all);
      }
      if (BackendAvailable(Backend::kXnnpack)) {
        (void)SetBackend(Backend::kXnnpack);
        const PackedConv2d xnn = PackedConv2d::Pack(p, weight.data(), bias.data());
        report("conv2d_xnn", ddpm::bench::BestSeconds([&] {
                 Conv2d(xnn, x.data(), batch, hw, hw, y.data(), false, scratch.data(), &pool);
               }, seconds, cpu));
        (void)SetBackend(Backend::kDdpm);
      }
    }
  }
  return 0;
}
