// Timers for the kernel benchmarks. The machine is shared (2 cores, several builds at once), so a
// single-thread benchmark is timed in CPU time of the process, which excludes time slices lost to
// other processes; multi-thread runs need wall time. In wasm, Node's process.cpuUsage() (user +
// system, microseconds) stands in for the CPU clock.
#pragma once

#include <chrono>
#include <ctime>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// clang-format off
EM_JS(double, DdpmBenchCpuSeconds, (), {
  if (typeof process === 'object' && process.cpuUsage) {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1e-6;
  }
  return performance.now() * 1e-3;
});
// clang-format on
#endif

namespace ddpm::bench {

inline double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double CpuSeconds() {
#ifdef __EMSCRIPTEN__
  return DdpmBenchCpuSeconds();
#else
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
#endif
}

// Best seconds per call of fn: warm-up for budget/2 (in wasm V8 swaps in its optimised tier only at
// a later call), then at least 3 timed calls filling `budget`. cpu: time with CpuSeconds.
template <typename Fn>
double BestSeconds(const Fn& fn, double budget, bool cpu) {
  auto now = [cpu] { return cpu ? CpuSeconds() : WallSeconds(); };
  const double w0 = WallSeconds();
  do fn(); while (WallSeconds() - w0 < budget / 2);
  double best = 1e30, total = 0;
  for (int rep = 0; (rep < 3 || total < budget) && rep < 100000; ++rep) {
    const double t0 = now();
    fn();
    const double s = now() - t0;
    if (s > 0 && s < best) best = s;
    total += s;
  }
  return best;
}

}  // namespace ddpm::bench
