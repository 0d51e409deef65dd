// gzip (RFC 1952) decompression with stb_image's inflate: zlib is not available in Emscripten's
// frozen sysroot, and stb is already a dependency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

// Decompresses a .gz member; `source` names the data in errors.
Expected<std::vector<uint8_t>> Gunzip(const std::vector<uint8_t>& gz, const std::string& source);

}  // namespace ddpm
