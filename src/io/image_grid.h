// Tiles a batch of images into one grid image (for `ddpm sample --output grid.png`, the demo and
// training previews). Pixel values follow diffusers' pipelines: [-1, 1] samples become x / 2 + 0.5,
// then clamp to [0, 1] and round(x * 255).
#pragma once

#include <optional>

#include "base/status.h"
#include "base/tensor.h"
#include "io/png.h"

namespace ddpm {

// The default padding, one rule for every grid: kGridPadding pixels between and around the tiles when there
// are several images, none for a single one (which is then the image itself). The npm package's toPNG
// (web/src/image.js, GRID_PADDING) follows the same rule, so the CLI and JS write the same grids.
inline constexpr int kGridPadding = 2;
inline int DefaultGridPadding(int64_t num_images) { return num_images > 1 ? kGridPadding : 0; }

struct GridOptions {
  int cols = 0;                               // images per row; 0 picks ceil(sqrt(N))
  std::optional<int> padding = std::nullopt;  // pixels between and around the tiles; default DefaultGridPadding(N)
  uint8_t pad_value = 0;                      // colour of the padding (every channel)
  bool minus_one_to_one = false;              // the input is in [-1, 1] (model samples) rather than [0, 1]
};

// nchw: [N, C, H, W] float with C = 1 (gray), 3 (RGB) or 4 (RGBA). Row-major tiles, left to right;
// empty cells of the last row are padding colour.
Expected<ImageU8> MakeImageGrid(const Tensor& nchw, const GridOptions& options = {});

}  // namespace ddpm
