// Helpers for the io tests: unique temporary paths and hand-built safetensors bytes.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ddpm::test {

// A fresh path under the system temp folder (the host's /tmp under Node too, via NODERAWFS).
inline std::string TempPath(const std::string& name) {
  static int counter = 0;
  return (std::filesystem::temp_directory_path() /
          ("ddpm_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + name))
      .string();
}

// 8-byte little-endian length, the header text, then `data`.
inline std::vector<uint8_t> SafetensorsBytes(const std::string& header, const std::vector<uint8_t>& data = {},
                                             uint64_t declared_len = UINT64_MAX) {
  const uint64_t n = declared_len == UINT64_MAX ? header.size() : declared_len;
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace ddpm::test
