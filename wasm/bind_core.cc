// Module-level bindings: version and build description. Embind only; no logic.
#include <malloc.h>

#include <string>

#include <emscripten/bind.h>
#include <hwy/targets.h>

#include "base/thread_pool.h"
#include "kernels/peak.h"

namespace {

std::string Version() { return DDPM_VERSION; }

emscripten::val BuildInfo() {
  emscripten::val out = emscripten::val::object();
  out.set("version", std::string(DDPM_VERSION));
  out.set("simd", std::string(hwy::TargetName(HWY_TARGET)));
  out.set("threads", ddpm::ThreadPool::ThreadsAvailable());
  out.set("hardwareThreads", ddpm::ThreadPool::HardwareThreads());
  return out;
}

// Bytes malloc has handed out and not got back: what dispose() should return to its previous value.
double MallocInUse() { return static_cast<double>(mallinfo().uordblks); }

// The single-thread simd128 peak (kernels::MeasurePeakFlops, as `ddpm bench` reports it), for benchmarks.
emscripten::val MeasurePeakGflops(double seconds) {
  emscripten::val out = emscripten::val::object();
  out.set("target", std::string(ddpm::kernels::PeakTargetName()));
  out.set("gflops", ddpm::kernels::MeasurePeakFlops(seconds) * 1e-9);
  return out;
}

}  // namespace

EMSCRIPTEN_BINDINGS(ddpm_core) {
  emscripten::function("version", &Version);
  emscripten::function("buildInfo", &BuildInfo);
  emscripten::function("mallocInUse", &MallocInUse);
  emscripten::function("measurePeakGflops", &MeasurePeakGflops);
}
