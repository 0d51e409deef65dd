#include "io/canvas.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "io/plot_axes.h"

namespace ddpm {

ImageU8 PlotCurve(const std::vector<double>& x, const std::vector<double>& y, const PlotLabels& labels, int width,
                  int height, bool log_y) {
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i]) && (!log_y || y[i] > 0)) pts.emplace_back(x[i], y[i]);
  AxisSpec xs{labels.x_title, 0, 1}, ys{labels.y_title, log_y ? 0.1 : 0, 1, log_y};
  if (pts.size() >= 2) {
    const auto [x_lo, x_hi] = std::minmax_element(pts.begin(), pts.end());
    const auto [y_lo, y_hi] = std::minmax_element(pts.begin(), pts.end(),
                                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    xs.lo = x_lo->first;
    xs.hi = x_hi->first;
    ys.lo = y_lo->second;
    ys.hi = y_hi->second;
  }
  Raster raster(width, height);
  const PlotAxes axes(raster, labels.title, xs, ys);
  const Rgb line{31, 119, 180};
  for (size_t i = 1; i < pts.size(); ++i)
    raster.Line(axes.X(pts[i - 1].first), axes.Y(pts[i - 1].second), axes.X(pts[i].first), axes.Y(pts[i].second),
                line);
  return raster.image();
}

ImageU8 PlotScatter(const std::vector<std::vector<float>>& point_sets, const std::vector<Rgb>& colours, float lim,
                    int size, std::string_view title) {
  Raster raster(size, size);
  const PlotAxes axes(raster, title, {"x", -lim, lim, false, false}, {"y", -lim, lim, false, false},
                      /*square=*/true);
  for (size_t s = 0; s < point_sets.size(); ++s) {
    const Rgb c = colours[s % colours.size()];
    const auto& p = point_sets[s];
    for (size_t i = 0; i + 1 < p.size(); i += 2)
      if (axes.Contains(p[i], p[i + 1])) raster.Dot(axes.X(p[i]), axes.Y(p[i + 1]), c, 1);
  }
  return raster.image();
}

}  // namespace ddpm
