// Multi-head self-attention over tokens, given fused q|k|v projections (diffusers' AttnProcessor:
// scores = q·kᵀ·scale, softmax over keys in float32, then probs·v). QKᵀ and PV run on kernels::Gemm.
#pragma once

#include <cstddef>

#include "base/thread_pool.h"

namespace ddpm::kernels {

// Softmax of each of `rows` rows of length n, in place, after multiplying by `scale`.
void ScaledSoftmaxRows(float* x, size_t rows, size_t n, float scale, ThreadPool* pool);

// Floats of scratch MultiHeadAttention needs.
size_t AttentionScratchFloats(int tokens, int head_dim, int threads);

// qkv: [batch, tokens, 3 * channels], each token's row is [q (channels) | k | v]; channel c belongs to
// head c / head_dim. out: [batch, tokens, channels], the heads' outputs side by side.
// scale multiplies the scores (diffusers: head_dim^-0.5).
void MultiHeadAttention(const float* qkv, int batch, int tokens, int channels, int head_dim, float scale,
                        float* out, float* scratch, ThreadPool* pool);

}  // namespace ddpm::kernels
