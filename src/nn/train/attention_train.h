// Multi-head self-attention core for training: o = softmax(Q·Kᵀ·scale)·V per (sample, head) on fused
// [q | k | v] rows, as kernels::MultiHeadAttention. The forward is that kernel; the backward
// recomputes each head's probabilities (T×T floats of scratch, never saved) and runs
//   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS·K·scale,  dK = dSᵀ·Q·scale
// on kernels::Gemm.
#pragma once

#include <cstddef>

#include "base/thread_pool.h"

namespace ddpm::nn::train {

size_t AttentionForwardScratchFloats(int tokens, int head_dim, int threads);
size_t AttentionBackwardScratchFloats(int tokens, int head_dim, int threads);

// o[B,T,C] from qkv[B,T,3C] (channel c of q/k/v belongs to head c / head_dim).
void AttentionForward(float* o, const float* qkv, int batch, int tokens, int channels, int head_dim, float scale,
                      float* scratch, ThreadPool* pool);

// dqkv[B,T,3C] += d/dqkv given do[B,T,C] and the forward's qkv.
void AttentionBackward(float* dqkv, const float* dout, const float* qkv, int batch, int tokens, int channels,
                       int head_dim, float scale, float* scratch, ThreadPool* pool);

}  // namespace ddpm::nn::train
