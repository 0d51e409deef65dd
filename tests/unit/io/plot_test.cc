// Text on the raster, the labelled axes, and the two plots: ink lands where the layout says it does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "io/axis_ticks.h"
#include "io/bitmap_font.h"
#include "io/canvas.h"
#include "io/plot_axes.h"
#include "io/raster.h"

using namespace ddpm;

namespace {

struct Box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;  // inclusive; empty when x1 < x0
  bool operator==(const Box& o) const { return x0 == o.x0 && y0 == o.y0 && x1 == o.x1 && y1 == o.y1; }
};

std::ostream& operator<<(std::ostream& os, const Box& b) {
  return os << "[" << b.x0 << ".." << b.x1 << "] x [" << b.y0 << ".." << b.y1 << "]";
}

Rgb At(const ImageU8& im, int x, int y) {
  const uint8_t* p = im.pixels.data() + (size_t(y) * im.width + x) * 3;
  return {p[0], p[1], p[2]};
}

template <typename Pred>
Box InkBox(const ImageU8& im, Pred pred) {
  Box b;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (pred(At(im, x, y))) {
        b.x0 = std::min(b.x0, x);
        b.y0 = std::min(b.y0, y);
        b.x1 = std::max(b.x1, x);
        b.y1 = std::max(b.y1, y);
      }
  return b;
}

std::vector<std::string> Labels(const std::vector<double>& ticks) {
  std::vector<std::string> out;
  for (double t : ticks) out.push_back(TickLabel(t));
  return out;
}

bool IsDark(Rgb c) { return c.r < 128 && c.g < 128 && c.b < 128; }
bool IsCurveBlue(Rgb c) { return c.r == 31 && c.g == 119 && c.b == 180; }

}  // namespace

TEST_CASE("raster text: ink fills exactly the text box, at every scale", "[io][plot]") {
  // H touches the glyph's top row and both side columns, g the descender row: the ink box is the text box.
  for (int scale : {1, 2, 3}) {
    INFO("scale " << scale);
    Raster r(120, 60);
    r.Text(10, 20, "Hg", {0, 0, 0}, scale);
    CHECK(InkBox(r.image(), IsDark) ==
          Box{10, 20, 10 + TextWidth("Hg", scale) - 1, 20 + TextHeight(scale) - 1});
  }
}

TEST_CASE("raster text: TextUp is Text turned a quarter counter-clockwise", "[io][plot]") {
  const std::string text = "loss (log)";
  const int w = TextWidth(text), h = TextHeight();
  Raster flat(w, h), up(h, w);
  flat.Text(0, 0, text, {0, 0, 0});
  up.TextUp(0, 0, text, {0, 0, 0});
  int ink = 0;
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u) {
      const bool a = IsDark(At(flat.image(), u, v)), b = IsDark(At(up.image(), v, w - 1 - u));
      CHECK(a == b);
      ink += a;
    }
  CHECK(ink > 50);
}

TEST_CASE("plot axes: the loss plot's ticks, frame and labels", "[io][plot]") {
  Raster r(640, 400);
  const PlotAxes axes(r, "training loss", {"step", 3, 300}, {"loss", 0.42, 0.97, true});
  CHECK(Labels(axes.x_ticks()) == std::vector<std::string>{"0", "50", "100", "150", "200", "250", "300"});
  CHECK(axes.y_ticks().front() == Approx(0.4));
  CHECK(axes.y_ticks().back() == Approx(1.0));
  CHECK(axes.X(0) == axes.left());
  CHECK(axes.X(300) == axes.right());
  CHECK(axes.Y(1.0) == axes.top());
  CHECK(axes.Y(0.4) == axes.bottom());
  // Log scale: 0.5 sits log(0.5/0.4) / log(1/0.4) of the way up.
  const double frac = std::log(0.5 / 0.4) / std::log(1 / 0.4);
  CHECK(std::abs(axes.Y(0.5) - (axes.bottom() - frac * (axes.bottom() - axes.top()))) <= 1);
  const ImageU8& im = r.image();
  // Text on all four sides of the frame: title above, y labels and title left, x labels and title below.
  const Box ink = InkBox(im, IsDark);
  CHECK(ink.y0 < axes.top() - 8);
  CHECK(ink.x0 < axes.left() - 20);
  CHECK(ink.y1 > axes.bottom() + 20);
  // Nothing dark in the plot area but the frame and the tick marks beside it (gridlines are light).
  for (int y = axes.top() + 1; y < axes.bottom(); ++y)
    for (int x = axes.left() + 1; x < axes.right(); ++x) REQUIRE_FALSE(IsDark(At(im, x, y)));
  // Nothing dark right of the frame, past the last x label's half.
  for (int y = 0; y < im.height; ++y)
    for (int x = axes.right() + TextWidth("300") / 2 + 2; x < im.width; ++x) REQUIRE_FALSE(IsDark(At(im, x, y)));
}

TEST_CASE("plot axes: x labels never collide, however narrow the plot", "[io][plot]") {
  for (int width : {120, 200, 320, 640, 1000})
    for (double hi : {7.0, 300.0, 2014.0, 199999.0, 3.5e7}) {
      INFO("width " << width << ", x up to " << hi);
      Raster r(width, 200);
      const PlotAxes axes(r, "", {"step", 0, hi}, {"loss", 0.01, 1, true});
      const auto& t = axes.x_ticks();
      REQUIRE(t.size() >= 2);
      for (size_t i = 1; i < t.size(); ++i) {
        const int half_gap = (TextWidth(TickLabel(t[i - 1])) + TextWidth(TickLabel(t[i]))) / 2;
        CHECK(axes.X(t[i]) - axes.X(t[i - 1]) > half_gap + 2);
      }
      // The y labels stack without touching.
      const auto& yt = axes.y_ticks();
      for (size_t i = 1; i < yt.size(); ++i) CHECK(axes.Y(yt[i - 1]) - axes.Y(yt[i]) >= TextHeight());
    }
}

TEST_CASE("plot curve: a known curve lies where the axes put it", "[io][plot]") {
  // loss = 10^(-x / 300): a straight line on a log axis, from (0, 1) down to (300, 0.1).
  std::vector<double> x, y;
  for (int i = 0; i <= 300; ++i) {
    x.push_back(i);
    y.push_back(std::pow(10.0, -i / 300.0));
  }
  const ImageU8 im = PlotCurve(x, y, {"training loss", "step", "loss"}, 640, 400, /*log_y=*/true);
  REQUIRE(im.width == 640);
  REQUIRE(im.height == 400);
  // The same layout on a blank raster says where the frame is.
  Raster blank(640, 400);
  const PlotAxes axes(blank, "training loss", {"step", 0, 300}, {"loss", 0.1, 1, true});
  CHECK(Labels(axes.y_ticks()) == std::vector<std::string>{"0.1", "0.2", "0.5", "1"});
  const Box curve = InkBox(im, IsCurveBlue);
  CHECK(curve == Box{axes.left(), axes.top(), axes.right(), axes.bottom()});
  for (int px = axes.left(); px <= axes.right(); ++px) {
    const double expect =
        axes.top() + double(px - axes.left()) / (axes.right() - axes.left()) * (axes.bottom() - axes.top());
    int hits = 0;
    for (int py = 0; py < im.height; ++py)
      if (IsCurveBlue(At(im, px, py))) {
        ++hits;
        CHECK(std::abs(py - expect) <= 2);
      }
    CHECK(hits > 0);
  }
}

TEST_CASE("plot curve: without enough points the axes are still drawn", "[io][plot]") {
  const ImageU8 im = PlotCurve({1}, {0.5}, {"", "step", "loss"}, 200, 150, true);
  CHECK(InkBox(im, IsCurveBlue).x1 < 0);
  CHECK(InkBox(im, IsDark).x1 > 0);
}

TEST_CASE("plot scatter: square axes from -lim to lim, points in place, strays left out", "[io][plot]") {
  const Rgb red{220, 20, 20};
  const auto is_red = [&](Rgb c) { return c.r == red.r && c.g == red.g && c.b == red.b; };
  const ImageU8 im = PlotScatter({{1.0f, -2.0f, 5.0f, 5.0f}}, {red}, 3.0f, 400, "samples");
  Raster blank(400, 400);
  const PlotAxes axes(blank, "samples", {"x", -3, 3, false, false}, {"y", -3, 3, false, false}, true);
  CHECK(axes.right() - axes.left() == axes.bottom() - axes.top());
  CHECK(Labels(axes.x_ticks()) == std::vector<std::string>{"-3", "-2", "-1", "0", "1", "2", "3"});
  CHECK(axes.X(-3) == axes.left());
  CHECK(axes.Y(3) == axes.top());
  // The one point inside is a dot of radius 1 at (1, -2); (5, 5) is outside the square and not drawn.
  CHECK(InkBox(im, is_red) == Box{axes.X(1) - 1, axes.Y(-2) - 1, axes.X(1) + 1, axes.Y(-2) + 1});
}
