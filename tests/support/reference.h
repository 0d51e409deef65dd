// Helpers for comparing against ../shared/reference (diffusers dumps).
#pragma once

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/tensor.h"
#include "io/safetensors.h"

namespace ddpm::test {

inline std::string SharedDir() {
  if (const char* env = std::getenv("DDPM_SHARED_DIR")) return env;
  return DDPM_SHARED_DIR;
}
inline std::string ReferencePath(const std::string& name) { return SharedDir() + "/reference/" + name; }

inline nlohmann::json LoadReferenceJson(const std::string& name) {
  std::ifstream in(ReferencePath(name));
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// Worst violation of |a - b| <= atol + rtol*|b| (ratio of error to allowance; <= 1 passes), and the max abs error.
struct Closeness {
  double max_abs = 0.0;
  double worst_ratio = 0.0;
  size_t n = 0;
  bool shape_ok = true;
};

inline Closeness Compare(const float* a, const float* b, size_t n, double atol, double rtol) {
  Closeness c;
  c.n = n;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    const double allow = atol + rtol * std::fabs(double(b[i]));
    if (!(d <= c.max_abs)) c.max_abs = std::isnan(d) ? INFINITY : d;
    const double r = std::isnan(d) ? INFINITY : d / allow;
    if (r > c.worst_ratio) c.worst_ratio = r;
  }
  return c;
}

inline Closeness Compare(const Tensor& a, const Tensor& b, double atol, double rtol) {
  if (a.shape() != b.shape()) {
    Closeness c;
    c.shape_ok = false;
    c.worst_ratio = INFINITY;
    return c;
  }
  return Compare(a.data(), b.data(), a.size(), atol, rtol);
}

}  // namespace ddpm::test
