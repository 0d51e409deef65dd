// Which implementation Conv2d runs: ours (Highway GEMM, every build) or XNNPACK (native builds with
// Debian's libxnnpack-dev, DDPM_HAVE_XNNPACK). Process-wide; choose it before packing weights
// (PackedConv2d::Pack creates the XNNPACK operator when that backend is active).
#pragma once

#include <string_view>

#include "base/status.h"

namespace ddpm::kernels {

enum class Backend { kDdpm, kXnnpack };

const char* BackendName(Backend b);  // "ddpm", "xnnpack"
bool BackendAvailable(Backend b);
// Fails (and keeps the current backend) when `b` is not available in this build.
Status SetBackend(Backend b);
Backend GetBackend();
// "ddpm" | "xnnpack"; the error names the bad value and lists the valid (available) ones.
Expected<Backend> ParseBackend(std::string_view name);

}  // namespace ddpm::kernels
