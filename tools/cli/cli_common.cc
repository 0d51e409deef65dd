#include "cli_common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "base/thread_pool.h"
#include "kernels/conv2d/backend.h"

namespace ddpm::cli {

int Fail(const std::string& command, const Status& status) {
  std::fprintf(stderr, "ddpm %s: error: %s\n", command.c_str(), status.message().c_str());
  return 1;
}

namespace {
// CLI11's NonNegativeNumber prints the range up to DBL_MAX in full: say it in words instead.
const CLI::Validator kNonNegativeInteger(
    [](std::string& text) -> std::string {
      size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(text, &used);
      } catch (...) {
      }
      if (used != text.size() || v < 0) return "must be a non-negative integer, got " + text;
      return "";
    },
    "INT>=0");
}  // namespace

CLI::Option* AddThreadsOption(CLI::App* sub, int* threads) {
  return sub->add_option("--threads", *threads, "worker threads (0 = all cores)")->default_val(1)->check(kNonNegativeInteger);
}

CLI::Option* AddSeedOption(CLI::App* sub, uint64_t* seed, const std::string& help) {
  return sub->add_option("--seed", *seed, help)->default_val(0)->check(kNonNegativeInteger);
}

std::string OutputExtension(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  std::string ext = name.substr(dot);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

Status CheckOutputPath(const std::string& path, const std::vector<std::string>& extensions, bool folder_ok) {
  namespace fs = std::filesystem;
  const std::string ext = OutputExtension(path);
  std::string list;
  for (size_t i = 0; i < extensions.size(); ++i) list += (i ? ", " : "") + extensions[i];
  if (ext.empty()) {
    if (!folder_ok) return InvalidArgument("--output " + path + ": give a file name ending in " + list);
    std::error_code ec;
    if (fs::exists(path, ec) && !fs::is_directory(path, ec))
      return InvalidArgument("--output " + path + ": exists and is not a folder");
    return Status::Ok();
  }
  if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end())
    return InvalidArgument("--output " + path + ": unknown extension " + ext + " (use " + list +
                           (folder_ok ? ", or a folder name without an extension" : "") + ")");
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return InvalidArgument("--output " + path + ": folder " + parent.string() + " does not exist");
  if (fs::is_directory(path, ec)) return InvalidArgument("--output " + path + ": is a folder");
  return Status::Ok();
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
