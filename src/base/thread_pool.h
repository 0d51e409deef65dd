// Fork-join thread pool: ParallelFor splits [0, n) into one contiguous chunk per thread and waits.
// Waiting spins (then yields) for a short while before it sleeps.
// Native: std::thread workers. wasm-threads: the same code on Emscripten pthreads. Plain wasm has no
// threads (std::thread throws there), so the pool runs everything on the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "base/function_ref.h"

namespace ddpm {

class ThreadPool {
 public:
  // threads <= 0 means hardware concurrency. Clamped to 1 when the build has no threads.
  explicit ThreadPool(int threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end, thread_index) over disjoint chunks covering [0, n). Chunk boundaries are
  // multiples of `grain` (except the last), and depend only on n, grain and num_threads: results
  // are deterministic for a thread count.
  // fn is a FunctionRef, so a call allocates nothing (a sampling step must not).
  using Job = FunctionRef<void(size_t, size_t, int)>;
  void ParallelFor(size_t n, Job fn, size_t grain = 1);

  static bool ThreadsAvailable();
  static int HardwareThreads();

 private:
  void WorkerLoop(int index);

  int num_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const Job* job_ = nullptr;
  size_t job_n_ = 0, job_grain_ = 1;
  // A UNet forward is ~150 short ParallelFors back to back: workers and the caller spin briefly on
  // these before sleeping on the condition variables (waking a sleeper costs tens of microseconds).
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
};

}  // namespace ddpm
