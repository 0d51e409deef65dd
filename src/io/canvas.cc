#include "io/canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace ddpm {

Canvas::Canvas(int width, int height, Rgb bg) {
  image_.width = width;
  image_.height = height;
  image_.channels = 3;
  image_.pixels.resize(size_t(width) * height * 3);
  for (size_t i = 0; i < image_.pixels.size(); i += 3) {
    image_.pixels[i] = bg.r;
    image_.pixels[i + 1] = bg.g;
    image_.pixels[i + 2] = bg.b;
  }
}

void Canvas::Set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= image_.width || y >= image_.height) return;
  uint8_t* p = image_.pixels.data() + (size_t(y) * image_.width + x) * 3;
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Canvas::Dot(int x, int y, Rgb c, int radius) {
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx)
      if (dx * dx + dy * dy <= radius * radius) Set(x + dx, y + dy, c);
}

void Canvas::Line(int x0, int y0, int x1, int y1, Rgb c) {  // Bresenham
  const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
  const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    Set(x0, y0, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void Canvas::Rect(int x0, int y0, int x1, int y1, Rgb c) {
  Line(x0, y0, x1, y0, c);
  Line(x1, y0, x1, y1, c);
  Line(x1, y1, x0, y1, c);
  Line(x0, y1, x0, y0, c);
}

ImageU8 PlotCurve(const std::vector<double>& x, const std::vector<double>& y, int width, int height, bool log_y) {
  Canvas canvas(width, height);
  const int m = 8;  // margin
  const Rgb frame{80, 80, 80}, grid{225, 225, 225}, line{31, 119, 180};
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(y[i]) && (!log_y || y[i] > 0)) pts.emplace_back(x[i], log_y ? std::log10(y[i]) : y[i]);
  if (pts.size() >= 2) {
    double x_lo = pts.front().first, x_hi = pts.back().first, y_lo = pts[0].second, y_hi = pts[0].second;
    for (auto& p : pts) {
      y_lo = std::min(y_lo, p.second);
      y_hi = std::max(y_hi, p.second);
    }
    if (y_hi - y_lo < 1e-12) y_hi = y_lo + 1;
    if (x_hi - x_lo < 1e-12) x_hi = x_lo + 1;
    auto px = [&](double v) { return m + int((v - x_lo) / (x_hi - x_lo) * (width - 2 * m - 1)); };
    auto py = [&](double v) { return height - m - 1 - int((v - y_lo) / (y_hi - y_lo) * (height - 2 * m - 1)); };
    if (log_y)
      for (double d = std::ceil(y_lo); d <= y_hi; d += 1) canvas.Line(m, py(d), width - m - 1, py(d), grid);
    for (size_t i = 1; i < pts.size(); ++i)
      canvas.Line(px(pts[i - 1].first), py(pts[i - 1].second), px(pts[i].first), py(pts[i].second), line);
  }
  canvas.Rect(m - 1, m - 1, width - m, height - m, frame);
  return canvas.image();
}

ImageU8 PlotScatter(const std::vector<std::vector<float>>& point_sets, const std::vector<Rgb>& colours, float lim,
                    int size) {
  Canvas canvas(size, size);
  const Rgb axis{200, 200, 200};
  canvas.Line(size / 2, 0, size / 2, size - 1, axis);
  canvas.Line(0, size / 2, size - 1, size / 2, axis);
  for (size_t s = 0; s < point_sets.size(); ++s) {
    const Rgb c = colours[s % colours.size()];
    const auto& p = point_sets[s];
    for (size_t i = 0; i + 1 < p.size(); i += 2) {
      const int x = int((p[i] / lim * 0.5f + 0.5f) * (size - 1));
      const int y = int((0.5f - p[i + 1] / lim * 0.5f) * (size - 1));
      canvas.Dot(x, y, c, 1);
    }
  }
  canvas.Rect(0, 0, size - 1, size - 1, {80, 80, 80});
  return canvas.image();
}

}  // namespace ddpm
