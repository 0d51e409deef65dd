#include "base/thread_pool.h"

#include <algorithm>

namespace ddpm {

bool ThreadPool::ThreadsAvailable() {
#if defined(DDPM_THREADS)
  return true;
#else
  return false;
#endif
}

int ThreadPool::HardwareThreads() {
  if (!ThreadsAvailable()) return 1;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int threads) {
  num_threads_ = threads <= 0 ? HardwareThreads() : threads;
  if (!ThreadsAvailable()) num_threads_ = 1;
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

namespace {
// Chunk t of n items split over `parts`, in units of `grain`.
std::pair<size_t, size_t> Chunk(size_t n, size_t grain, int parts, int t) {
  const size_t units = (n + grain - 1) / grain;
  const size_t per = units / parts, extra = units % parts;
  const size_t b = (t * per + std::min<size_t>(t, extra)) * grain;
  const size_t e = b + (per + (size_t(t) < extra ? 1 : 0)) * grain;
  return {std::min(b, n), std::min(e, n)};
}

// Before a wait sleeps it spins: kSpins checks with a CPU pause (~10 µs), then kYields checks that give
// the core away (sched_yield): when the machine is oversubscribed, a waiting thread then lets the thread
// it waits for run instead of burning that thread's time slice.
// In wasm there is no pause instruction and sched_yield does nothing, so it spins on the atomic
// alone, longer (~30 µs): waking a sleeping pthread there goes through Atomics.notify to a Worker.
#if defined(__EMSCRIPTEN__)
constexpr int kSpins = 1 << 15, kYields = 0;
#else
constexpr int kSpins = 256, kYields = 64;
#endif

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

template <typename Pred>
bool SpinUntil(Pred pred) {
  for (int i = 0; i < kSpins; ++i) {
    if (pred()) return true;
    CpuRelax();
  }
  for (int i = 0; i < kYields; ++i) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return pred();
}

}  // namespace

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const Job* job;
    size_t n, grain;
    if (!SpinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; });
      if (stop_) return;
    }
    {
      // The job's fields were written under mu_ before generation_ moved; reading them under mu_ too
      // keeps the hand-over simple (uncontended: the caller is running its own chunk by now).
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = generation_.load(std::memory_order_relaxed);
      job = job_;
      n = job_n_;
      grain = job_grain_;
    }
    auto [b, e] = Chunk(n, grain, num_threads_, index);
    if (b < e) (*job)(b, e, index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);  // pairs with the caller's check under mu_
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(size_t n, Job fn, size_t grain) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  if (num_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    job_n_ = n;
    job_grain_ = grain;
    pending_.store(num_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  auto [b, e] = Chunk(n, grain, num_threads_, 0);
  if (b < e) fn(b, e, 0);
  if (SpinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; })) return;
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
}

}  // namespace ddpm
