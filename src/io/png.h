// PNG encode/decode with stb_image_write / stb_image (header-only, from Debian's libstb-dev; builds in
// wasm too, where libpng/zlib are not available). This file's .cc holds the one public stb_image
// implementation (gzip.cc keeps a private static copy for its inflate).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm {

// 8-bit image, rows top to bottom, pixels interleaved (HWC): 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
struct ImageU8 {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // width * height * channels
};

// Images larger than this many pixels are refused, encoding and decoding (bounds memory on hostile files).
inline constexpr int64_t kMaxPngPixels = int64_t(1) << 24;

Expected<std::vector<uint8_t>> EncodePng(const ImageU8& image);
// Encodes, then writes atomically (temporary file + rename).
Status WritePng(const std::string& path, const ImageU8& image);

// Decodes 8- or 16-bit PNG to float in [0, 1], NHWC [1, height, width, channels]. desired_channels 0
// keeps the file's channel count; 1, 2, 3 or 4 converts (gray <-> RGB, alpha added or dropped).
// `source` names the bytes in errors.
Expected<Tensor> DecodePng(const uint8_t* data, size_t size, const std::string& source, int desired_channels = 0);
Expected<Tensor> ReadPng(const std::string& path, int desired_channels = 0);

// Canvas pixels (a browser's ImageData: RGBA, 8 bits, not premultiplied, rows top to bottom) as
// DecodePng gives a PNG of the same pixels: [1, height, width, C] in [0, 1], converted to
// desired_channels (0 keeps 4) by stb's rules (grey = (77 r + 150 g + 29 b) >> 8, alpha dropped or kept),
// so that a picture reaches the model the same whether it came as a file or from a canvas.
Expected<Tensor> DecodeRgba8(const uint8_t* rgba, size_t size, int width, int height, const std::string& source,
                             int desired_channels = 0);

// [0, 1] -> 0..255 as diffusers' numpy_to_pil does: clamp, then round(x * 255) half to even (numpy).
// NaN becomes 0.
uint8_t UnitFloatToU8(float x);

}  // namespace ddpm
