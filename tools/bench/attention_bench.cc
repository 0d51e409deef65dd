// Attention microbenchmark on the UNet shapes: kernels::MultiHeadAttention (the fused small-head
// kernel for head_dim <= 32) against the same maths through kernels::Gemm per head (QKᵀ, softmax,
// P·V: the path larger heads take), alternated in one process. GFLOP/s count QKᵀ and P·V (2·t²·d
// each per head), as shared/bench/README.md does.
//   attention_bench [threads] [batch]     (in wasm: node --no-experimental-fetch attention_bench.js)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench_timer.h"
#include "base/thread_pool.h"
#include "kernels/attention/attention.h"
#include "kernels/f32_gemm/gemm.h"

namespace {

using ddpm::ThreadPool;

// The per-head GEMM path, as MultiHeadAttention runs it for large heads.
void AttentionViaGemm(const float* qkv, int batch, int t, int c, int d, float scale, float* out,
                      float* scores, float* gemm_scratch, ThreadPool* pool) {
  const size_t ld = 3 * size_t(c);
  for (int b = 0; b < batch; ++b) {
    const float* base = qkv + size_t(b) * t * ld;
    for (int h = 0; h < c / d; ++h) {
      ddpm::kernels::Gemm(t, t, d, base + h * d, ld, base + c + h * d, ld, true, scores, t, false, gemm_scratch, pool);
      ddpm::kernels::ScaledSoftmaxRows(scores, t, t, scale, pool);
      ddpm::kernels::Gemm(t, d, t, scores, t, base + 2 * c + h * d, ld, false, out + size_t(b) * t * c + h * d, c,
                          false, gemm_scratch, pool);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 8;
  ThreadPool pool(threads);
  const bool cpu = pool.num_threads() == 1;
  std::printf("attention: batch %d, threads %d, %s time, gemm %s\n", batch, pool.num_threads(), cpu ? "cpu" : "wall",
              ddpm::kernels::GemmKernelName());
  struct Shape { int tokens, channels, head_dim; };
  for (const Shape s : {Shape{256, 64, 8}, Shape{64, 64, 8}, Shape{256, 64, 16}, Shape{1024, 128, 16},
                        Shape{256, 64, 32}, Shape{256, 64, 64}}) {
    const size_t t = s.tokens, c = s.channels, d = s.head_dim;
    std::vector<float> qkv(batch * t * 3 * c), out(batch * t * c);
    for (size_t i = 0; i < qkv.size(); ++i) qkv[i] = std::sin(0.37f * i);
    std::vector<float> scratch(ddpm::kernels::AttentionScratchFloats(t, d, pool.num_threads()));
    std::vector<float> scores(t * t), gemm_scratch(ddpm::kernels::GemmScratchFloats(t, t, pool.num_threads()));
    const float scale = 1.0f / std::sqrt(float(d));
    const double flops = 4.0 * batch * (c / d) * t * t * d;
    const double fused = ddpm::bench::BestSeconds([&] {
      ddpm::kernels::MultiHeadAttention(qkv.data(), batch, t, c, d, scale, out.data(), scratch.data(), &pool);
    }, 0.6, cpu);
    const double gemm = ddpm::bench::BestSeconds([&] {
      AttentionViaGemm(qkv.data(), batch, t, c, d, scale, out.data(), scores.data(), gemm_scratch.data(), &pool);
    }, 0.6, cpu);
    std::printf("  tokens %4zu, %3zu channels, head_dim %2zu: MultiHeadAttention %7.3f ms (%5.1f GFLOP/s), "
                "per-head GEMM %7.3f ms (%5.1f GFLOP/s)\n", t, c, d, fused * 1e3, flops / fused * 1e-9, gemm * 1e3,
                flops / gemm * 1e-9);
  }
  return 0;
}
