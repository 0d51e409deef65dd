// Shared helpers of the scheduler tests: reference files, element-wise comparison with a running
// record (max abs error, bit-exact count) and the one-line summary each file prints.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "base/tensor.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "support/reference.h"

namespace ddpm::test {

inline SafeTensors LoadReferenceTensors(const std::string& name) {
  auto st = SafeTensors::ReadFile(ReferencePath(name));
  INFO(st.status().message());
  REQUIRE(st.ok());
  return std::move(st).value();
}

inline Tensor Get(const SafeTensors& st, const std::string& key) {
  auto t = st.GetFloat(key);
  INFO(key << ": " << t.status().message());
  REQUIRE(t.ok());
  return std::move(t).value();
}

inline JsonConfig ConfigOf(const nlohmann::json& config, const std::string& source) {
  return JsonConfig(config, source);
}

// A scheduler from a reference case's config; the test stops with the message if it is refused.
template <class Scheduler>
Scheduler BuildScheduler(const nlohmann::json& config, const std::string& id) {
  auto s = Scheduler::FromConfig(ConfigOf(config, id));
  INFO(id << ": " << s.status().message());
  REQUIRE(s.ok());
  return std::move(s).value();
}

// Accumulates |a - b| over many tensors of one reference file.
struct ErrorRecord {
  double max_abs = 0.0;
  double max_rel = 0.0;  // |a-b| / max(1, |b|)
  size_t exact = 0;
  size_t total = 0;

  // Checks |a - b| <= atol + rtol*|b| for every element; records the errors either way.
  void Check(const Tensor& a, const Tensor& b, double atol, double rtol, const std::string& what) {
    INFO(what << ": shapes " << ShapeToString(a.shape()) << " vs " << ShapeToString(b.shape()));
    REQUIRE(a.shape() == b.shape());
    const Closeness c = Compare(a, b, atol, rtol);  // tolerance: |a-b| <= atol + rtol*|b|
    for (size_t i = 0; i < a.size(); ++i) {
      const double d = std::fabs(double(a[i]) - double(b[i]));
      max_rel = std::fmax(max_rel, d / std::fmax(1.0, std::fabs(double(b[i]))));
      exact += std::memcmp(a.data() + i, b.data() + i, sizeof(float)) == 0 ? 1 : 0;
    }
    total += a.size();
    max_abs = std::fmax(max_abs, c.max_abs);
    INFO(what << ": max |a-b| = " << c.max_abs << ", worst error/allowance = " << c.worst_ratio);
    CHECK(c.worst_ratio <= 1.0);
  }

  void Print(const std::string& file) const {
    std::printf("[scheduler-ref] %s: max_abs_err=%.3g max_err/max(1,|ref|)=%.3g bit-exact %zu/%zu\n", file.c_str(),
                max_abs, max_rel, exact, total);
  }
};

}  // namespace ddpm::test
