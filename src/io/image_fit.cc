#include "io/image_fit.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ddpm {
namespace {

std::string Size(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// One output coordinate's source span [lo, hi) in input pixels, for area averaging (shrinking) or the
// two bilinear taps and weight (enlarging).
struct Taps {
  int64_t i0, i1;
  float w1;  // weight of i1 (bilinear)
};

Taps Bilinear(int64_t o, int64_t in_size, int64_t out_size, int64_t offset) {
  const double c = (o + 0.5) * double(in_size) / double(out_size) - 0.5;
  const double f = std::floor(c);
  const int64_t a = std::clamp<int64_t>(int64_t(f), 0, in_size - 1), b = std::clamp<int64_t>(int64_t(f) + 1, 0, in_size - 1);
  return {a + offset, b + offset, float(c - f)};
}

}  // namespace

Expected<Tensor> FitImage(const Tensor& nhwc, int height, int width, std::string* note) {
  if (nhwc.rank() != 4 || nhwc.dim(0) != 1)
    return InvalidArgument("image must be [1, H, W, C], got " + ShapeToString(nhwc.shape()));
  if (height < 1 || width < 1) return InvalidArgument("target size must be positive");
  const int64_t H = nhwc.dim(1), W = nhwc.dim(2), C = nhwc.dim(3);
  // Centre crop to the target aspect ratio (the larger side loses its edges).
  int64_t ch = H, cw = W;
  if (H * width > W * height) ch = std::max<int64_t>(1, (W * height + width / 2) / width);
  else if (H * width < W * height) cw = std::max<int64_t>(1, (H * width + height / 2) / height);
  const int64_t top = (H - ch) / 2, left = (W - cw) / 2;
  std::string what;
  if (ch != H || cw != W) what = "centre-cropped " + Size(W, H) + " to " + Size(cw, ch);
  if (ch != height || cw != width)
    what += (what.empty() ? "resized " + Size(W, H) + " to " : ", then resized to ") + Size(width, height);
  if (note) *note = what;

  DDPM_ASSIGN_OR_RETURN(Tensor out, NewTensor({1, C, height, width}));
  const float* in = nhwc.data();
  auto at = [&](int64_t y, int64_t x, int64_t c) { return in[(y * W + x) * C + c]; };
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      for (int64_t c = 0; c < C; ++c) {
        float v;
        if (ch >= height && cw >= width) {  // shrinking (or same size): the mean of the covered pixels
          const int64_t y0 = top + y * ch / height, y1 = top + std::max((y + 1) * ch / height, y * ch / height + 1);
          const int64_t x0 = left + x * cw / width, x1 = left + std::max((x + 1) * cw / width, x * cw / width + 1);
          double sum = 0;
          for (int64_t yy = y0; yy < y1; ++yy)
            for (int64_t xx = x0; xx < x1; ++xx) sum += at(yy, xx, c);
          v = float(sum / double((y1 - y0) * (x1 - x0)));
        } else {
          const Taps ty = Bilinear(y, ch, height, top), tx = Bilinear(x, cw, width, left);
          const float r0 = at(ty.i0, tx.i0, c) * (1 - tx.w1) + at(ty.i0, tx.i1, c) * tx.w1;
          const float r1 = at(ty.i1, tx.i0, c) * (1 - tx.w1) + at(ty.i1, tx.i1, c) * tx.w1;
          v = r0 * (1 - ty.w1) + r1 * ty.w1;
        }
        out[((c * height) + y) * width + x] = v;
      }
    }
  }
  return out;
}

Expected<Tensor> FitModelImage(const Tensor& nhwc, int64_t channels, int height, int width, std::string* note) {
  if (channels != 1 && channels != 3)
    return Unsupported("pictures can be given to models with 1 or 3 channels; this one has " + std::to_string(channels));
  if (nhwc.rank() != 4 || nhwc.dim(3) != channels)
    return InvalidArgument("picture must be [1, H, W, " + std::to_string(channels) + "], got " + ShapeToString(nhwc.shape()));
  DDPM_ASSIGN_OR_RETURN(Tensor x, FitImage(nhwc, height, width, note));
  for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] * 2.0f - 1.0f;
  return x;
}

Expected<Tensor> FitMask(const Tensor& nhwc_grey, int height, int width, std::string* note) {
  if (nhwc_grey.rank() != 4 || nhwc_grey.dim(3) != 1)
    return InvalidArgument("mask must be a grey picture [1, H, W, 1], got " + ShapeToString(nhwc_grey.shape()));
  DDPM_ASSIGN_OR_RETURN(Tensor m, FitImage(nhwc_grey, height, width, note));
  for (size_t i = 0; i < m.size(); ++i) m[i] = m[i] >= 0.5f ? 1.0f : 0.0f;
  return m;
}

}  // namespace ddpm
