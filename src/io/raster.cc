#include "io/raster.h"

#include <cstdlib>

#include "io/bitmap_font.h"

namespace ddpm {

Raster::Raster(int width, int height, Rgb bg) {
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

void Raster::Set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= image_.width || y >= image_.height) return;
  uint8_t* p = image_.pixels.data() + (size_t(y) * image_.width + x) * 3;
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Raster::Dot(int x, int y, Rgb c, int radius) {
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx)
      if (dx * dx + dy * dy <= radius * radius) Set(x + dx, y + dy, c);
}

void Raster::Line(int x0, int y0, int x1, int y1, Rgb c) {  // Bresenham
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

void Raster::Rect(int x0, int y0, int x1, int y1, Rgb c) {
  Line(x0, y0, x1, y0, c);
  Line(x1, y0, x1, y1, c);
  Line(x1, y1, x0, y1, c);
  Line(x0, y1, x0, y0, c);
}

template <typename SetFn>
void Raster::ForEachInkedPixel(std::string_view text, int scale, SetFn set) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto& rows = Glyph(text[i]);
    for (int row = 0; row < kGlyphRows; ++row)
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (!(rows[row] >> (kGlyphWidth - 1 - col) & 1)) continue;
        const int u = (int(i) * kGlyphAdvance + col) * scale, v = row * scale;
        for (int dv = 0; dv < scale; ++dv)
          for (int du = 0; du < scale; ++du) set(u + du, v + dv);
      }
  }
}

void Raster::Text(int x, int y, std::string_view text, Rgb c, int scale) {
  ForEachInkedPixel(text, scale, [&](int u, int v) { Set(x + u, y + v, c); });
}

void Raster::TextUp(int x, int y, std::string_view text, Rgb c, int scale) {
  const int length = TextWidth(text, scale);
  ForEachInkedPixel(text, scale, [&](int u, int v) { Set(x + v, y + length - 1 - u, c); });
}

}  // namespace ddpm
