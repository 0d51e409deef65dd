#include "nn/timestep_embedding.h"

#include <cmath>

namespace ddpm {

void SinusoidalEmbedding(float t, int dim, bool flip_sin_to_cos, float downscale_freq_shift, float* out) {
  const int half = dim / 2;
  const int sin_at = flip_sin_to_cos ? half : 0, cos_at = half - sin_at;
  for (int k = 0; k < half; ++k) {
    // Computed in float32 as diffusers does: exponent = -ln(10000) * k / (half - shift).
    const float exponent = -std::log(10000.0f) * float(k) / (float(half) - downscale_freq_shift);
    const float arg = t * std::exp(exponent);
    out[sin_at + k] = std::sin(arg);
    out[cos_at + k] = std::cos(arg);
  }
}

}  // namespace ddpm
