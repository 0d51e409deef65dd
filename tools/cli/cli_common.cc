#include "cli_common.h"

#include <algorithm>
#include <cstdio>

#include "base/thread_pool.h"
#include "kernels/conv2d/backend.h"

namespace ddpm::cli {

int Fail(const std::string& command, const Status& status) {
  std::fprintf(stderr, "ddpm %s: error: %s\n", command.c_str(), status.message().c_str());
  return 1;
}

int ResolveThreads(int requested) {
  const int threads = requested <= 0 ? ThreadPool::HardwareThreads() : requested;
#if defined(__EMSCRIPTEN__)
  // The wasm CLI starts its pthreads before main (tools/cli/CMakeLists.txt: one per core, at least 2);
  // main never yields to Node's event loop, so a thread beyond those would never start (a hang).
  const int available = std::max(2, ThreadPool::HardwareThreads());
  if (ThreadPool::ThreadsAvailable() && threads > available) {
    std::fprintf(stderr, "ddpm: note: --threads %d: this wasm build has %d threads; using %d\n", threads,
                 available, available);
    return available;
  }
#endif
  return threads;
}

Status SelectBackend(const std::string& backend) {
  if (backend == "auto") return Status::Ok();  // the default: our Highway kernels
  DDPM_ASSIGN_OR_RETURN(kernels::Backend b, kernels::ParseBackend(backend));
  return kernels::SetBackend(b);
}

std::string HumanCount(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace ddpm::cli
