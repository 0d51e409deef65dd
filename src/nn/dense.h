// Fully connected layer as a forward/backward pair (llm.c style), on the GEMM microkernels.
// Weights use PyTorch's layout W [out, in]; activations are row-major [rows, features].
// Backward accumulates (+=) into dw and db, so gradients of a batch can be summed over calls.
#pragma once

#include <cstddef>
#include <vector>

#include "base/thread_pool.h"

namespace ddpm {

// Scratch floats that DenseForward / DenseBackward need for these sizes.
size_t DenseScratchFloats(size_t rows, size_t in, size_t out, int threads);

// y[rows, out] = x[rows, in] · Wᵀ + b     (b may be nullptr)
void DenseForward(float* y, const float* x, const float* w, const float* b, size_t rows, size_t in, size_t out,
                  float* scratch, ThreadPool* pool);

// dx[rows, in] = dy · W (skipped when dx is nullptr);  dw[out, in] += dyᵀ · x;  db[out] += Σ_rows dy
void DenseBackward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w, size_t rows,
                   size_t in, size_t out, float* scratch, ThreadPool* pool);

}  // namespace ddpm
