// Small helpers the training kernels share: carving one scratch buffer into aligned regions, and splitting
// a loop over an optional thread pool.
#pragma once

#include <cstddef>
#include <utility>

#include "base/thread_pool.h"

namespace ddpm::nn::train {

// n floats rounded up to a multiple of 16 (64 bytes), so every region carved after it stays aligned.
inline size_t Pad16(size_t n) { return (n + 15) / 16 * 16; }

// f(begin, end, thread) over [0, n): split over `pool` when it has more than one thread, else in one call.
template <typename F>
void Parallel(ThreadPool* pool, size_t n, F&& f, size_t grain = 1) {
  if (pool && pool->num_threads() > 1) pool->ParallelFor(n, std::forward<F>(f), grain);
  else f(0, n, 0);
}

}  // namespace ddpm::nn::train
