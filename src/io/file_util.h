// Whole-file reads and atomic writes (temp file + rename), with errors that name the path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

Expected<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
Expected<std::string> ReadFileText(const std::string& path);
// Writes `size` bytes to path.tmp-<pid> and renames it over `path`; on failure nothing is left behind.
Status WriteFileAtomic(const std::string& path, const void* data, size_t size);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace ddpm
