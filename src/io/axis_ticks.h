// Where the ticks of a plot axis go and what their labels say: round numbers a reader can add up.
#pragma once

#include <string>
#include <vector>

namespace ddpm {

// Evenly spaced ticks at multiples of a "nice" step (1, 2, 2.5 or 5 times a power of ten) that cover
// [lo, hi]: the first tick is <= lo, the last >= hi, with at most max_intervals steps between them
// (the finest such step; two when the range holds 0 inside). An empty range (lo == hi) is widened
// first, so there are always at least two ticks.
std::vector<double> LinearTicks(double lo, double hi, int max_intervals);

// Ticks for a log-scaled axis covering [lo, hi] (both > 0) with at most max_intervals gaps: evenly
// spaced values when the range spans less than a decade (0.2, 0.3, ... 1.1, as on semi-log paper) and
// they stay above 0, 1-2-5 steps for up to two decades (0.02, 0.05, 0.1, 0.2, 0.5, 1), and powers of
// ten (every n-th when they are too many) beyond. Falls back to LinearTicks when lo <= 0.
std::vector<double> LogTicks(double lo, double hi, int max_intervals);

// The shortest plain decimal that gives `v` back (1000, 0.25, -3, 0.05), or "1e-4"-style for values
// below 0.001 or from 1e7 up.
std::string TickLabel(double v);

}  // namespace ddpm
