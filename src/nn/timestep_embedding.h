// diffusers' get_timestep_embedding: sinusoidal features of a (float) timestep.
#pragma once

namespace ddpm {

// out[dim] = [sin(t·f_k), cos(t·f_k)] (or cos first when flip_sin_to_cos), f_k = exp(-ln(10000)·k/(half - shift)).
// dim must be even.
void SinusoidalEmbedding(float t, int dim, bool flip_sin_to_cos, float downscale_freq_shift, float* out);

}  // namespace ddpm
