// The plots the core writes as PNGs: the training loss curve and the toy 2-D model's scatter plots,
// each with labelled axes (io/plot_axes.h) on a Raster. No plotting library is packaged for both Debian
// and Emscripten; these need lines, dots and a few labels only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "io/png.h"
#include "io/raster.h"

namespace ddpm {

struct PlotLabels {
  std::string title;    // one line above the plot, left out when it does not fit
  std::string x_title;  // "step"
  std::string y_title;  // "loss"; drawn as "loss (log scale)" on a log axis
};

// A line chart of y against x (points in the order given; non-finite ones skipped), with round-number
// ticks on both axes. With log_y, y is log-scaled and values <= 0 are skipped. Fewer than two points
// give empty axes.
ImageU8 PlotCurve(const std::vector<double>& x, const std::vector<double>& y, const PlotLabels& labels, int width,
                  int height, bool log_y);

// A scatter plot of 2-D points (interleaved x, y) in the square [-lim, lim]² (axes "x" and "y"), one
// colour per set, later sets on top; points outside the square are left out. `size` is the image's
// width and height.
ImageU8 PlotScatter(const std::vector<std::vector<float>>& point_sets, const std::vector<Rgb>& colours, float lim,
                    int size, std::string_view title = "");

}  // namespace ddpm
