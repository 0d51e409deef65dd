// MultiHeadAttention (fused small-head kernel, and the GEMM path for larger heads) against a scalar
// double-precision twin, over awkward token counts (not multiples of the vector width or of the
// 8-row query block), head sizes (multiples of 8, of 4, odd), batches and thread counts.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/attention/attention.h"

namespace {

// out[b, i, h*d + c] = Σ_j softmax_j(scale · q_i·k_j) v_j[c], in double.
std::vector<double> AttentionScalar(const std::vector<float>& qkv, int batch, int t, int c, int d, float scale) {
  std::vector<double> out(size_t(batch) * t * c);
  const size_t ld = 3 * size_t(c);
  std::vector<double> s(t);
  for (int b = 0; b < batch; ++b) {
    const float* base = qkv.data() + size_t(b) * t * ld;
    for (int h = 0; h < c / d; ++h) {
      for (int i = 0; i < t; ++i) {
        double mx = -INFINITY;
        for (int j = 0; j < t; ++j) {
          double dot = 0;
          for (int p = 0; p < d; ++p) dot += double(base[i * ld + h * d + p]) * base[j * ld + c + h * d + p];
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < t; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int p = 0; p < d; ++p) {
          double o = 0;
          for (int j = 0; j < t; ++j) o += s[j] / sum * base[j * ld + 2 * c + h * d + p];
          out[(size_t(b) * t + i) * c + h * d + p] = o;
        }
      }
    }
  }
  return out;
}

void CheckAttention(int batch, int tokens, int heads, int head_dim, int threads) {
  INFO("batch=" << batch << " tokens=" << tokens << " heads=" << heads << " head_dim=" << head_dim
                << " threads=" << threads);
  const int c = heads * head_dim;
  std::mt19937 rng(42);
  // Scores spread over a few units so the softmax is neither flat nor one-hot.
  std::uniform_real_distribution<float> dist(-1.5f, 1.5f);
  std::vector<float> qkv(size_t(batch) * tokens * 3 * c);
  for (float& f : qkv) f = dist(rng);
  const float scale = float(1.0 / std::sqrt(double(head_dim)));
  const auto ref = AttentionScalar(qkv, batch, tokens, c, head_dim, scale);

  constexpr size_t kCanaries = 17;
  const size_t n = ref.size();
  std::vector<float> out(n + kCanaries, std::nanf(""));
  ddpm::ThreadPool pool(threads);
  std::vector<float> scratch(ddpm::kernels::AttentionScratchFloats(tokens, head_dim, threads) + 1);
  ddpm::kernels::MultiHeadAttention(qkv.data(), batch, tokens, c, head_dim, scale, out.data(), scratch.data(),
                                    &pool);
  size_t bad = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool ok = i < n ? std::fabs(double(out[i]) - ref[i]) <= 2e-6 * (1 + std::fabs(ref[i])) * std::sqrt(tokens)
                          : std::isnan(out[i]);
    if (!ok && bad++ < 5) FAIL_CHECK("out[" << i << "] = " << out[i] << ", want " << (i < n ? ref[i] : NAN));
  }
  CHECK(bad == 0);
}

TEST_CASE("MultiHeadAttention matches the scalar twin", "[kernels][attention]") {
  for (int threads : {1, 2}) {
    for (int head_dim : {8, 16, 4, 12, 3, 32, 64}) {
      for (int tokens : {1, 5, 16, 17, 64, 100}) {
        CheckAttention(1, tokens, 2, head_dim, threads);
      }
    }
    // unet_cond's shapes: 16x16 and 8x8 tokens, 64 channels in heads of 8, batch 1 and 3.
    CheckAttention(3, 256, 8, 8, threads);
    CheckAttention(1, 64, 8, 8, threads);
    CheckAttention(2, 257, 1, 64, threads);  // one large head: the GEMM path, two query blocks
  }
}

TEST_CASE("MultiHeadAttention is deterministic across thread counts", "[kernels][attention]") {
  const int batch = 2, tokens = 40, heads = 4, d = 8, c = heads * d;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> qkv(size_t(batch) * tokens * 3 * c);
  for (float& f : qkv) f = dist(rng);
  std::vector<float> first;
  for (int threads : {1, 2, 3}) {
    ddpm::ThreadPool pool(threads);
    std::vector<float> out(size_t(batch) * tokens * c);
    std::vector<float> scratch(ddpm::kernels::AttentionScratchFloats(tokens, d, threads));
    ddpm::kernels::MultiHeadAttention(qkv.data(), batch, tokens, c, d, 0.35f, out.data(), scratch.data(), &pool);
    if (first.empty()) first = out;
    else CHECK(out == first);
  }
}

}  // namespace
