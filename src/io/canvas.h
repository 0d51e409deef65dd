// A tiny RGB raster for the pictures training leaves behind: loss curves and 2-D scatter plots.
// (No plotting library is packaged for both Debian and Emscripten; these need lines and dots only.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/png.h"

namespace ddpm {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = {255, 255, 255});
  void Dot(int x, int y, Rgb c, int radius = 0);
  void Line(int x0, int y0, int x1, int y1, Rgb c);
  void Rect(int x0, int y0, int x1, int y1, Rgb c);  // outline
  const ImageU8& image() const { return image_; }

 private:
  void Set(int x, int y, Rgb c);
  ImageU8 image_;
};

// A line chart of `values` against their index (log-scaled y when all values are positive and
// log_y), framed, with light gridlines at the y decades. Empty input gives an empty frame.
ImageU8 PlotCurve(const std::vector<double>& x, const std::vector<double>& y, int width, int height, bool log_y);

// A scatter plot of 2-D points (interleaved x, y) in the square [-lim, lim]², one colour per set.
ImageU8 PlotScatter(const std::vector<std::vector<float>>& point_sets, const std::vector<Rgb>& colours, float lim,
                    int size);

}  // namespace ddpm
