// A tiny RGB raster to draw plots on: dots, lines, rectangles and text in the bitmap font.
#pragma once

#include <cstdint>
#include <string_view>

#include "io/png.h"

namespace ddpm {

struct Rgb {
  uint8_t r, g, b;
};

class Raster {
 public:
  Raster(int width, int height, Rgb background = {255, 255, 255});
  int width() const { return image_.width; }
  int height() const { return image_.height; }

  // Pixels outside the raster are skipped, so shapes may cross its edges.
  void Dot(int x, int y, Rgb c, int radius = 0);
  void Line(int x0, int y0, int x1, int y1, Rgb c);
  void Rect(int x0, int y0, int x1, int y1, Rgb c);  // outline

  // `text` with its box's top-left corner at (x, y): TextWidth(text, scale) wide, TextHeight(scale) tall
  // (io/bitmap_font.h), each font pixel a scale x scale square.
  void Text(int x, int y, std::string_view text, Rgb c, int scale = 1);
  // The same turned a quarter counter-clockwise, reading bottom to top (a y-axis title): its box is
  // TextHeight(scale) wide and TextWidth(text, scale) tall, top-left corner at (x, y).
  void TextUp(int x, int y, std::string_view text, Rgb c, int scale = 1);

  const ImageU8& image() const { return image_; }

 private:
  void Set(int x, int y, Rgb c);
  // Calls set(u, v) for every inked font pixel of `text`, u along the text and v down the glyphs.
  template <typename SetFn>
  static void ForEachInkedPixel(std::string_view text, int scale, SetFn set);
  ImageU8 image_;
};

}  // namespace ddpm
