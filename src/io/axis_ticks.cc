#include "io/axis_ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ddpm {

namespace {

constexpr double kEps = 1e-9;  // relative slack, so that 0.3 / 0.1 = 2.9999999999999996 counts as 3

// k * mantissa * 10^exponent, computed so that decimal ticks come out as the nearest double (0.3, not
// 0.30000000000000004): dividing by an exact power of ten rounds once.
double TickValue(double k, double mantissa, int exponent) {
  const double v = exponent >= 0 ? k * mantissa * std::pow(10.0, exponent) : k * mantissa / std::pow(10.0, -exponent);
  return v == 0 ? 0.0 : v;  // no -0
}

// The 1-2-5 values m * 10^e just covering [lo, hi] (lo > 0), or empty when they need more than
// max_intervals gaps.
std::vector<double> OneTwoFiveTicks(double lo, double hi, int max_intervals) {
  std::vector<double> ladder;
  for (int e = int(std::floor(std::log10(lo))) - 1; e <= int(std::ceil(std::log10(hi))) + 1; ++e)
    for (double m : {1.0, 2.0, 5.0}) ladder.push_back(TickValue(1, m, e));
  size_t first = 0, last = ladder.size() - 1;
  while (first + 1 < ladder.size() && ladder[first + 1] <= lo * (1 + kEps)) ++first;
  while (last > 0 && ladder[last - 1] >= hi * (1 - kEps)) --last;
  if (last <= first || int(last - first) > max_intervals) return {};
  return std::vector<double>(ladder.begin() + first, ladder.begin() + last + 1);
}

// Powers of ten covering [lo, hi] (lo > 0), every stride-th decade so that they fit max_intervals.
std::vector<double> DecadeTicks(double lo, double hi, int max_intervals) {
  const int first = int(std::floor(std::log10(lo) + kEps));
  const int last = std::max(first + 1, int(std::ceil(std::log10(hi) - kEps)));
  // Strided decades start on a multiple of the stride (1e-6, 0.001, 1, 1000), which can take one
  // interval more than the bare count: widen the stride until they fit.
  for (int stride = (last - first + max_intervals - 1) / max_intervals;; ++stride) {
    const int from = int(std::floor(double(first) / stride)) * stride;
    const int to = int(std::ceil(double(last) / stride)) * stride;
    if ((to - from) / stride > max_intervals) continue;
    std::vector<double> ticks;
    for (int e = from; e <= to; e += stride) ticks.push_back(TickValue(1, 1, e));
    return ticks;
  }
}

}  // namespace

std::vector<double> LinearTicks(double lo, double hi, int max_intervals) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= kEps * std::max(std::abs(lo), std::abs(hi))) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  max_intervals = std::max(lo < 0 && hi > 0 ? 2 : 1, max_intervals);  // a range around 0 needs two
  // From the step that would just fit if the range started on a tick, try 1, 2, 2.5, 5 x 10^e upwards
  // until the covering ticks (one more gap or two at the ends) fit too.
  const int e0 = int(std::floor(std::log10((hi - lo) / max_intervals)));
  for (int e = e0;; ++e)
    for (double m : {1.0, 2.0, 2.5, 5.0}) {
      const double step = TickValue(1, m, e);
      const double k_first = std::floor(lo / step + kEps), k_last = std::ceil(hi / step - kEps);
      if (k_last - k_first > max_intervals) continue;
      std::vector<double> ticks;
      for (double k = k_first; k <= k_last; ++k) ticks.push_back(TickValue(k, m, e));
      return ticks;
    }
}

std::vector<double> LogTicks(double lo, double hi, int max_intervals) {
  if (lo > hi) std::swap(lo, hi);
  if (!(lo > 0)) return LinearTicks(lo, hi, max_intervals);
  max_intervals = std::max(1, max_intervals);
  const double decades = std::log10(hi / lo);
  if (decades < 1) {  // like semi-log paper: 0.2, 0.3, ... 1.1, closer together going up
    std::vector<double> even = LinearTicks(lo, hi, max_intervals);
    if (even.front() > 0) return even;
  }
  if (decades <= 2) {
    std::vector<double> ladder = OneTwoFiveTicks(lo, hi, max_intervals);
    if (!ladder.empty()) return ladder;
  }
  return DecadeTicks(lo, hi, max_intervals);
}

std::string TickLabel(double v) {
  if (v == 0 || !std::isfinite(v)) return v == 0 ? "0" : std::to_string(v);
  const double a = std::abs(v);
  char buf[64];
  if (a >= 1e-3 && a < 1e7) {
    for (int decimals = 0; decimals <= 12; ++decimals) {
      std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
      if (std::abs(std::strtod(buf, nullptr) - v) <= kEps * a) break;
    }
    return buf;
  }
  int exponent = int(std::floor(std::log10(a)));
  std::string mantissa = TickLabel(TickValue(1, v, -exponent));
  if (mantissa == "10" || mantissa == "-10") {  // 9.9999999e-6 rounds up to the next decade
    mantissa = v < 0 ? "-1" : "1";
    ++exponent;
  }
  return mantissa + "e" + std::to_string(exponent);
}

}  // namespace ddpm
