// Small memory-bound helpers around the GEMM-shaped work: activations, broadcasts, concatenation.
// All layouts are NHWC / row-major; n counts floats.
#pragma once

#include <cstddef>

namespace ddpm::kernels {

// y = x * sigmoid(x) = x / (1 + exp(-x)) (torch's SiLU formula). x and y may alias.
void SiLU(const float* x, size_t n, float* y);

// row = softmax(row * scale) over n entries (max-subtracted; multiplies by 1/sum as torch does).
void ScaledSoftmaxRow(float* row, size_t n, float scale);

// y[b, p, c] += v[b * v_stride + c] for p in [0, hw): a per-sample channel vector broadcast over pixels
// (ResnetBlock2D's `h + time_emb_proj(emb)[:, :, None, None]`).
void AddPerSampleChannels(float* y, int batch, int hw, int channels, const float* v, size_t v_stride);

// out[r, :] = [a[r, :ca], b[r, :cb]] for each of `rows` pixels: torch.cat([a, b], dim=1) in NHWC.
void ConcatChannels(const float* a, int ca, const float* b, int cb, size_t rows, float* out);

// y = x * s (x and y may alias).
void Scale(const float* x, size_t n, float s, float* y);

// y = x / s, as torch's `x / output_scale_factor` (x and y may alias).
void Divide(const float* x, size_t n, float s, float* y);

}  // namespace ddpm::kernels
