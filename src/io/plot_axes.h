// Labelled axes for the plots the core draws (the training loss curve, the toy model's scatter plots):
// a title line, a frame with light gridlines, round-number ticks with labels on both axes and the axis
// titles, laid out on a Raster so that no label is clipped and none overlaps another.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "io/raster.h"

namespace ddpm {

struct AxisSpec {
  std::string title;      // "step"; a log axis shows it as "step (log scale)"
  double lo = 0, hi = 1;  // the data range the axis must show (a log axis needs lo > 0, else it is linear)
  bool log = false;
  // true: the axis runs from the tick at or below lo to the tick at or above hi (LinearTicks, LogTicks);
  // false: exactly from lo to hi, with the ticks that fall inside.
  bool extend_to_ticks = true;
};

class PlotAxes {
 public:
  // Lays out and draws the axes on `raster`; the title is left out when it is wider than the raster.
  // The plot area is what the labels leave free; with `square` it is the largest centred square in it.
  PlotAxes(Raster& raster, std::string_view title, const AxisSpec& x, const AxisSpec& y, bool square = false);

  // Data value -> pixel: the axis range maps onto the frame, left to right and bottom to top.
  int X(double v) const;
  int Y(double v) const;
  bool Contains(double x, double y) const;  // inside the axis ranges (both ends included)

  // The frame, inclusive pixel bounds.
  int left() const { return left_; }
  int right() const { return right_; }
  int top() const { return top_; }
  int bottom() const { return bottom_; }
  // The ticks drawn, in data units, ascending.
  const std::vector<double>& x_ticks() const { return x_.ticks; }
  const std::vector<double>& y_ticks() const { return y_.ticks; }

  struct Scale {  // one axis, fitted to its length in pixels
    AxisSpec spec;
    std::vector<double> ticks;  // the ones inside [t0, t1]
    double t0 = 0, t1 = 1;      // the axis range, as log10 on a log axis
    double T(double v) const;   // v in the axis's own units (log10 on a log axis)
  };

 private:
  Scale x_, y_;
  int left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;
};

}  // namespace ddpm
