// Elementwise kernels, one Highway instantiation per target (foreach_target), dispatched at run time.
// The exp-heavy ones (SiLU over every activation, the attention softmax) dominate the non-GEMM time;
// hwy's Exp is within 1 ulp of std::exp.
#include "kernels/elementwise/elementwise.h"

#include <cmath>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise/elementwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// x / (1 + exp(-x)), torch's formula. exp's argument is capped at 88 (hwy's Exp is valid to 104):
// beyond it the result is x·e^-88 ≈ -1e-36 where torch gives -0.
void SiLUImpl(const float* x, size_t n, float* y) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto one = hn::Set(d, 1.0f), cap = hn::Set(d, 88.0f);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, x + i);
    const auto e = hn::Exp(d, hn::Min(hn::Neg(v), cap));
    hn::StoreU(hn::Div(v, hn::Add(one, e)), d, y + i);
  }
  for (; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

// row = softmax(row * scale): max-subtracted exp, then multiplied by 1/sum as torch's CPU softmax.
void SoftmaxRowImpl(float* row, size_t n, float scale) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  auto vmax = hn::Set(d, -INFINITY);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::Mul(hn::LoadU(d, row + i), vs);
    hn::StoreU(v, d, row + i);
    vmax = hn::Max(vmax, v);
  }
  float mx = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; i < n; ++i) {
    row[i] *= scale;
    mx = std::max(mx, row[i]);
  }
  const auto vm = hn::Set(d, mx);
  auto vsum = hn::Zero(d);
  for (i = 0; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, row + i), vm));
    hn::StoreU(e, d, row + i);
    vsum = hn::Add(vsum, e);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; i < n; ++i) {
    row[i] = std::exp(row[i] - mx);
    sum += row[i];
  }
  const float inv = 1.0f / sum;
  const auto vi = hn::Set(d, inv);
  for (i = 0; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, row + i), vi), d, row + i);
  for (; i < n; ++i) row[i] *= inv;
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {

HWY_EXPORT(SiLUImpl);
HWY_EXPORT(SoftmaxRowImpl);

// Unqualified HWY_DYNAMIC_DISPATCH inside the namespace: the qualified form fails to build in wasm.
void SiLU(const float* x, size_t n, float* y) { HWY_DYNAMIC_DISPATCH(SiLUImpl)(x, n, y); }

void ScaledSoftmaxRow(float* row, size_t n, float scale) { HWY_DYNAMIC_DISPATCH(SoftmaxRowImpl)(row, n, scale); }

void AddPerSampleChannels(float* y, int batch, int hw, int channels, const float* v, size_t v_stride) {
  for (int b = 0; b < batch; ++b) {
    const float* vb = v + b * v_stride;
    float* yb = y + size_t(b) * hw * channels;
    for (int p = 0; p < hw; ++p)
      for (int c = 0; c < channels; ++c) yb[size_t(p) * channels + c] += vb[c];
  }
}

void ConcatChannels(const float* a, int ca, const float* b, int cb, size_t rows, float* out) {
  const size_t co = size_t(ca) + cb;
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(out + r * co, a + r * ca, sizeof(float) * ca);
    std::memcpy(out + r * co + ca, b + r * cb, sizeof(float) * cb);
  }
}

void Scale(const float* x, size_t n, float s, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * s;
}

void Divide(const float* x, size_t n, float s, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] / s;
}

}  // namespace ddpm::kernels
#endif  // HWY_ONCE
