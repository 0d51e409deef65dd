// Axis ticks: round steps that cover the range without wasting it, log ticks at 1-2-5 values or
// decades, and labels that print the tick exactly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "io/axis_ticks.h"

using namespace ddpm;

namespace {

// The step's mantissa, if it is 1, 2, 2.5 or 5 times a power of ten; 0 otherwise.
double NiceMantissa(double step) {
  const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  for (double nice : {1.0, 2.0, 2.5, 5.0})
    if (std::abs(m - nice) < 1e-6) return nice;
  return 0;
}

std::vector<std::string> Labels(const std::vector<double>& ticks) {
  std::vector<std::string> out;
  for (double t : ticks) out.push_back(TickLabel(t));
  return out;
}

}  // namespace

TEST_CASE("linear ticks: nice, evenly spaced, covering and no looser than one step", "[io][ticks]") {
  const double ranges[][2] = {{0, 1},     {3, 300},      {0, 2014},  {947, 2014}, {-3, 3},   {0.031, 0.097},
                              {-7.2, -0.4}, {1e-6, 3e-6}, {12345, 12346}, {0, 199999}, {0.4, 1.0}, {-1e9, 2e9}};
  for (const auto& r : ranges)
    for (int max_intervals : {1, 2, 3, 5, 9, 12}) {
      const double lo = r[0], hi = r[1];
      INFO("[" << lo << ", " << hi << "], at most " << max_intervals << " intervals");
      const std::vector<double> t = LinearTicks(lo, hi, max_intervals);
      REQUIRE(t.size() >= 2);
      CHECK(int(t.size()) - 1 <= std::max(max_intervals, lo < 0 && hi > 0 ? 2 : 1));
      const double step = t[1] - t[0];
      CHECK(NiceMantissa(step) != 0);
      for (size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] == Approx(step).epsilon(1e-9));
      for (double v : t) CHECK(std::abs(v / step - std::round(v / step)) < 1e-6);  // multiples of the step
      CHECK(t.front() <= lo);
      CHECK(t.back() >= hi);
      CHECK(t.front() > lo - step);
      CHECK(t.back() < hi + step);
    }
}

TEST_CASE("linear ticks: the training-run ranges give the expected round numbers", "[io][ticks]") {
  CHECK(Labels(LinearTicks(3, 300, 9)) == std::vector<std::string>{"0", "50", "100", "150", "200", "250", "300"});
  CHECK(LinearTicks(0, 2014, 9).back() == 2250);
  CHECK(Labels(LinearTicks(0.3, 0.9, 6)) ==
        std::vector<std::string>{"0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"});
  CHECK(Labels(LinearTicks(-3, 3, 6)) == std::vector<std::string>{"-3", "-2", "-1", "0", "1", "2", "3"});
  CHECK(LinearTicks(5, 5, 4).size() >= 2);  // an empty range is widened
}

TEST_CASE("log ticks: even values within a decade, 1-2-5 to two decades, decades beyond", "[io][ticks]") {
  CHECK(Labels(LogTicks(0.42, 0.97, 8)) ==
        std::vector<std::string>{"0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"});
  CHECK(Labels(LogTicks(0.22, 1.05, 9)) ==
        std::vector<std::string>{"0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1", "1.1"});
  // Even values that would reach 0 give way to 1-2-5 steps.
  CHECK(Labels(LogTicks(0.11, 1.0, 5)) == std::vector<std::string>{"0.1", "0.2", "0.5", "1"});
  CHECK(Labels(LogTicks(0.031, 0.97, 8)) == std::vector<std::string>{"0.02", "0.05", "0.1", "0.2", "0.5", "1"});
  CHECK(Labels(LogTicks(2e-4, 30, 8)) == std::vector<std::string>{"1e-4", "0.001", "0.01", "0.1", "1", "10", "100"});
  // Too many decades for the room: every n-th, still covering.
  const std::vector<double> sparse = LogTicks(2e-4, 30, 2);
  CHECK(sparse.size() <= 3);
  CHECK(sparse.front() <= 2e-4);
  CHECK(sparse.back() >= 30);
  CHECK(Labels(sparse) == std::vector<std::string>{"1e-4", "1", "10000"});
  CHECK(Labels(LogTicks(2e-4, 30, 3)) == std::vector<std::string>{"1e-4", "0.01", "1", "100"});
  // Not positive: linear ticks instead.
  CHECK(LogTicks(0, 1, 4) == LinearTicks(0, 1, 4));
}

TEST_CASE("tick labels: the shortest decimal that is the value, exponents when tiny or huge", "[io][ticks]") {
  CHECK(TickLabel(0) == "0");
  CHECK(TickLabel(-0.0) == "0");
  CHECK(TickLabel(1000) == "1000");
  CHECK(TickLabel(0.25) == "0.25");
  CHECK(TickLabel(-3) == "-3");
  CHECK(TickLabel(0.1 + 0.2) == "0.3");
  CHECK(TickLabel(199999) == "199999");
  CHECK(TickLabel(0.001) == "0.001");
  CHECK(TickLabel(1e-4) == "1e-4");
  CHECK(TickLabel(2.5e-4) == "2.5e-4");
  CHECK(TickLabel(2.5e7) == "2.5e7");
  CHECK(TickLabel(-5e-6) == "-5e-6");
}
