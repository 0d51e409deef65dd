#include "io/file_util.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <system_error>
#include <unistd.h>

namespace ddpm {

namespace {
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

std::string ErrnoText(int err) { return std::strerror(err); }
}  // namespace

Expected<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return IoError(path + ": is a directory, expected a file");
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    return err == ENOENT ? NotFound(path + ": no such file") : IoError(path + ": cannot open (" + ErrnoText(err) + ")");
  }
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return IoError(path + ": cannot seek (not a regular file?)");
  const long size = std::ftell(f.get());
  if (size < 0) return IoError(path + ": cannot determine size (not a regular file?)");
  // size_t is 32 bits in wasm: a file of 4 GiB or more cannot be held, and must not wrap around.
  if (static_cast<unsigned long>(size) > std::numeric_limits<size_t>::max() / 2)
    return OutOfMemory(path + ": " + std::to_string(size) + " bytes is too large to read into memory");
  std::rewind(f.get());
  std::vector<uint8_t> bytes;
  try {
    bytes.resize(static_cast<size_t>(size));
  } catch (const std::bad_alloc&) {
    return OutOfMemory(path + ": out of memory reading " + std::to_string(size) + " bytes");
  }
  const size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f.get());
  if (got != bytes.size())
    return IoError(path + ": read " + std::to_string(got) + " of " + std::to_string(bytes.size()) + " bytes");
  return bytes;
}

Expected<std::string> ReadFileText(const std::string& path) {
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  return std::string(bytes.begin(), bytes.end());
}

Status WriteFileAtomic(const std::string& path, const void* data, size_t size) {
  return WriteFileAtomic(path, std::vector<ByteSpan>{{data, size}});
}

Status WriteFileAtomic(const std::string& path, const std::vector<ByteSpan>& spans) {
  // pid + counter: unique across processes and across threads of this one (getpid is constant in wasm).
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return IoError(path + ": cannot create (" + ErrnoText(errno) + ")");
  int err = 0;
  for (const ByteSpan& s : spans) {
    if (s.size && std::fwrite(s.data, 1, s.size, f) != s.size) {
      err = errno;
      break;
    }
  }
  if (!err && std::fflush(f) != 0) err = errno;
  // fsync so that a crash after the rename cannot expose an empty file; file systems without it say EINVAL.
  if (!err && ::fsync(::fileno(f)) != 0 && errno != EINVAL && errno != ENOTSUP) err = errno;
  if (std::fclose(f) != 0 && !err) err = errno;
  if (err) {
    std::remove(tmp.c_str());
    return IoError(path + ": write failed (" + ErrnoText(err) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    return IoError(path + ": cannot rename temporary file into place (" + ErrnoText(err) + ")");
  }
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace ddpm
