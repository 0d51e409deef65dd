// MakeImageGrid: tile placement, padding, value mapping from [0, 1] and [-1, 1], and PNG round trip.
#include <catch2/catch.hpp>

#include "io/image_grid.h"
#include "io/png.h"

using namespace ddpm;

namespace {
// Image i, channel ch, pixel (y, x) holds a value that identifies all four.
float Code(int i, int ch, int y, int x) { return (i * 16 + ch * 4 + y * 2 + x) / 255.0f; }
}  // namespace

TEST_CASE("image grid: tiles land row-major with padding; empty cells are padding", "[io][grid]") {
  const int n = 5, c = 3, h = 2, w = 2;
  Tensor x({n, c, h, w});
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int xx = 0; xx < w; ++xx) x[((i * c + ch) * h + y) * w + xx] = Code(i, ch, y, xx);
  GridOptions opt;
  opt.padding = 1;
  opt.pad_value = 200;
  auto grid = MakeImageGrid(x, opt);  // cols = ceil(sqrt(5)) = 3, rows = 2
  REQUIRE(grid.ok());
  CHECK(grid->width == 3 * (w + 1) + 1);
  CHECK(grid->height == 2 * (h + 1) + 1);
  CHECK(grid->channels == 3);
  auto at = [&](int gy, int gx, int ch) { return grid->pixels[(size_t(gy) * grid->width + gx) * c + ch]; };
  for (int i = 0; i < n; ++i) {
    const int top = 1 + (i / 3) * (h + 1), left = 1 + (i % 3) * (w + 1);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int xx = 0; xx < w; ++xx) CHECK(at(top + y, left + xx, ch) == i * 16 + ch * 4 + y * 2 + xx);
  }
  CHECK(at(0, 0, 0) == 200);          // border
  CHECK(at(1, 3, 1) == 200);          // between tiles
  CHECK(at(4, 1 + 2 * 3, 2) == 200);  // the empty sixth cell
}

TEST_CASE("image grid: [-1, 1] maps through x / 2 + 0.5, clamps, and explicit cols work", "[io][grid]") {
  const float v[4] = {-1.0f, 1.0f, 0.0f, 5.0f};
  Tensor x({4, 1, 1, 1}, v);
  GridOptions opt;
  opt.cols = 4;
  opt.padding = 0;
  opt.minus_one_to_one = true;
  auto grid = MakeImageGrid(x, opt);
  REQUIRE(grid.ok());
  CHECK(grid->width == 4);
  CHECK(grid->height == 1);
  CHECK(grid->pixels == std::vector<uint8_t>{0, 255, 128, 255});
  opt.minus_one_to_one = false;
  CHECK(MakeImageGrid(x, opt)->pixels == std::vector<uint8_t>{0, 255, 0, 255});
  // The grid encodes and decodes back to the same bytes.
  auto png = EncodePng(*grid);
  REQUIRE(png.ok());
  auto back = DecodePng(png->data(), png->size(), "grid.png");
  REQUIRE(back.ok());
  CHECK((*back)[1] == 1.0f);
}

TEST_CASE("image grid: the default padding is kGridPadding for several images and none for one", "[io][grid]") {
  // The same rule as toPNG's in the npm package (web/src/image.js): a 2x2 grid of 32x32 is 70 px wide.
  auto four = MakeImageGrid(Tensor({4, 1, 32, 32}));
  REQUIRE(four.ok());
  CHECK(four->width == 2 * (32 + kGridPadding) + kGridPadding);
  CHECK(four->width == 70);
  CHECK(four->height == 70);
  auto one = MakeImageGrid(Tensor({1, 3, 32, 32}));
  REQUIRE(one.ok());
  CHECK(one->width == 32);
  CHECK(one->height == 32);
  GridOptions padded;
  padded.padding = 3;  // an explicit padding applies to one image too
  CHECK(MakeImageGrid(Tensor({1, 1, 2, 2}), padded)->width == 8);
}

TEST_CASE("image grid: bad shapes are errors", "[io][grid]") {
  CHECK(MakeImageGrid(Tensor({2, 3, 4})).status().message().find("expected NCHW") != std::string::npos);
  CHECK(MakeImageGrid(Tensor({1, 2, 4, 4})).status().message().find("2 channels") != std::string::npos);
  CHECK(MakeImageGrid(Tensor({0, 3, 4, 4})).status().message().find("no pixels") != std::string::npos);
  GridOptions neg;
  neg.padding = -1;
  CHECK(!MakeImageGrid(Tensor({1, 1, 2, 2}), neg).ok());
}
