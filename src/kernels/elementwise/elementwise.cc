#include "kernels/elementwise/elementwise.h"

#include <cmath>
#include <cstring>

namespace ddpm::kernels {

void SiLU(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

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
