#include "io/image_grid.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

Expected<ImageU8> MakeImageGrid(const Tensor& nchw, const GridOptions& opt) {
  if (nchw.rank() != 4)
    return InvalidArgument("image grid: expected NCHW images, got shape " + ShapeToString(nchw.shape()));
  const int64_t n = nchw.dim(0), c = nchw.dim(1), h = nchw.dim(2), w = nchw.dim(3);
  if (n < 1 || h < 1 || w < 1) return InvalidArgument("image grid: no pixels in shape " + ShapeToString(nchw.shape()));
  if (c != 1 && c != 3 && c != 4)
    return InvalidArgument("image grid: " + std::to_string(c) + " channels, expected 1, 3 or 4");
  const int64_t pad = opt.padding.value_or(DefaultGridPadding(n));
  if (opt.cols < 0 || pad < 0) return InvalidArgument("image grid: cols and padding must be >= 0");
  const int64_t cols = opt.cols ? std::min<int64_t>(opt.cols, n) : static_cast<int64_t>(std::ceil(std::sqrt(double(n))));
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t gw = cols * (w + pad) + pad, gh = rows * (h + pad) + pad;
  if (gw * gh > kMaxPngPixels)
    return InvalidArgument("image grid: " + std::to_string(gw) + "x" + std::to_string(gh) + " is larger than " +
                           std::to_string(kMaxPngPixels) + " pixels");

  ImageU8 img;
  img.width = static_cast<int>(gw);
  img.height = static_cast<int>(gh);
  img.channels = static_cast<int>(c);
  img.pixels.assign(size_t(gw * gh * c), opt.pad_value);
  const float* x = nchw.data();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = pad + (i / cols) * (h + pad), left = pad + (i % cols) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* plane = x + (i * c + ch) * h * w;
      for (int64_t y = 0; y < h; ++y) {
        uint8_t* row = img.pixels.data() + ((top + y) * gw + left) * c + ch;
        for (int64_t xx = 0; xx < w; ++xx) {
          float v = plane[y * w + xx];
          if (opt.minus_one_to_one) v = v / 2 + 0.5f;  // diffusers: (image / 2 + 0.5).clamp(0, 1)
          row[xx * c] = UnitFloatToU8(v);
        }
      }
    }
  }
  return img;
}

}  // namespace ddpm
