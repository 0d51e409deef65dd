// Whole-file reads and atomic writes (temp file + fsync + rename), with errors that name the path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

struct ByteSpan {
  const void* data;
  size_t size;
};

Expected<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
Expected<std::string> ReadFileText(const std::string& path);
// Writes the bytes (or the spans, one after another) to a unique temporary file beside `path`, flushes
// it to disk and renames it over `path`: readers see the old file or the new one, never a torn one.
// On failure the temporary file is removed and `path` is untouched.
Status WriteFileAtomic(const std::string& path, const void* data, size_t size);
Status WriteFileAtomic(const std::string& path, const std::vector<ByteSpan>& spans);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace ddpm
