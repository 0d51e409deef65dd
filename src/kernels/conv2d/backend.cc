#include "kernels/conv2d/backend.h"

#include <atomic>
#include <string>

namespace ddpm::kernels {
namespace {
std::atomic<Backend> g_backend{Backend::kDdpm};
}  // namespace

const char* BackendName(Backend b) { return b == Backend::kXnnpack ? "xnnpack" : "ddpm"; }

bool BackendAvailable(Backend b) {
#if defined(DDPM_HAVE_XNNPACK)
  return true;
#else
  return b == Backend::kDdpm;
#endif
}

Status SetBackend(Backend b) {
  if (!BackendAvailable(b)) {
    return Unsupported(std::string("backend '") + BackendName(b) + "' is not available in this build (valid: ddpm)");
  }
  g_backend.store(b);
  return Status::Ok();
}

Backend GetBackend() { return g_backend.load(); }

Expected<Backend> ParseBackend(std::string_view name) {
  for (Backend b : {Backend::kDdpm, Backend::kXnnpack}) {
    if (name == BackendName(b) && BackendAvailable(b)) return b;
  }
  std::string valid = "ddpm";
  if (BackendAvailable(Backend::kXnnpack)) valid += ", xnnpack";
  return InvalidArgument("backend '" + std::string(name) + "' must be one of " + valid);
}

}  // namespace ddpm::kernels
