// The memory-bound pieces of the UNet's backward pass, each beside what its forward is:
// SiLU, the per-sample channel broadcast of the time embedding, channel concatenation of skips,
// nearest x2 upsampling, output scaling and the class-embedding lookup. Gradients accumulate (+=).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/thread_pool.h"

namespace ddpm::nn::train {

// Forward y = x·sigmoid(x) is kernels::SiLU.  dx += dy · σ(x)·(1 + x·(1 − σ(x))).
void SiLUBackward(float* dx, const float* dy, const float* x, size_t n);

// Forward y[b,p,c] += v[b·v_stride + c] (kernels::AddPerSampleChannels).  dv[b·v_stride + c] += Σ_p dy[b,p,c].
void AddPerSampleChannelsBackward(float* dv, size_t v_stride, const float* dy, int batch, int hw, int channels);

// Forward out = [a | b] along channels (kernels::ConcatChannels, split over `pool` by ParallelConcatChannels).
// Backward: da += dout[:, :ca];  db += dout[:, ca:].
void ParallelConcatChannels(const float* a, int ca, const float* b, int cb, size_t rows, float* out,
                            ThreadPool* pool);
void ConcatChannelsBackward(float* da, float* db, const float* dout, int ca, int cb, size_t rows, ThreadPool* pool);

// Forward kernels::UpsampleNearest2x: x [B,h,w,c] -> y [B,2h,2w,c].  dx[b,i,j] += Σ of the 2x2 block dy[b,2i+di,2j+dj].
void UpsampleNearest2xBackward(float* dx, const float* dy, int batch, int h, int w, int c, ThreadPool* pool);

// Plain memory traffic split over `pool` (run on one thread it would be the serial part of a
// multi-threaded step): dst = src, dst += src, dst = 0 over n floats.
void ParallelCopy(float* dst, const float* src, size_t n, ThreadPool* pool);
void ParallelAdd(float* dst, const float* src, size_t n, ThreadPool* pool);
void ParallelZero(float* dst, size_t n, ThreadPool* pool);

// Forward y = x / s (resnet output_scale_factor, attention rescale_output_factor).  dx += dy / s.
void DivideBackward(float* dx, const float* dy, size_t n, float s);

// Forward out[b] = table[label[b]] (nn.Embedding, rows of `dim`).  dtable[label[b]] += dout[b] (scatter-add).
void EmbeddingForward(float* out, const float* table, const std::vector<int64_t>& labels, int dim);
void EmbeddingBackward(float* dtable, const float* dout, const std::vector<int64_t>& labels, int dim);

}  // namespace ddpm::nn::train
