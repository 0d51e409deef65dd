#include "io/plot_axes.h"

#include <algorithm>
#include <cmath>

#include "io/axis_ticks.h"
#include "io/bitmap_font.h"

namespace ddpm {

namespace {

constexpr int kPad = 6;       // blank border around everything
constexpr int kGap = 4;       // between a label and what it labels
constexpr int kTickLen = 4;   // tick marks, outside the frame
constexpr int kDigitMid = 3;  // the middle row of a digit, where a y label is centred on its tick
constexpr Rgb kText{30, 30, 30}, kFrame{80, 80, 80}, kGrid{228, 228, 228};

int Pixel(const PlotAxes::Scale& s, double v, int from, int to) {
  return from + int(std::lround((s.T(v) - s.t0) / (s.t1 - s.t0) * (to - from)));
}

int WidestLabel(const std::vector<double>& ticks) {
  int w = 0;
  for (double t : ticks) w = std::max(w, TextWidth(TickLabel(t)));
  return w;
}

// The densest ticks for `spec` whose labels keep clear of each other along `length` pixels: side by
// side on a horizontal axis, stacked on a vertical one.
PlotAxes::Scale FitScale(AxisSpec spec, int length, bool horizontal) {
  PlotAxes::Scale s;
  if (spec.log && !(spec.lo > 0 && spec.hi > 0)) spec.log = false;
  if (spec.lo > spec.hi) std::swap(spec.lo, spec.hi);
  s.spec = spec;
  length = std::max(1, length);
  for (int max_intervals = std::max(1, length / (horizontal ? 50 : 36));; --max_intervals) {
    const std::vector<double> all = spec.log ? LogTicks(spec.lo, spec.hi, max_intervals)
                                             : LinearTicks(spec.lo, spec.hi, max_intervals);
    if (spec.extend_to_ticks) {
      s.t0 = s.T(all.front());
      s.t1 = s.T(all.back());
    } else {
      s.t0 = s.T(spec.lo);
      s.t1 = s.T(spec.hi);
    }
    if (!(s.t1 - s.t0 > 1e-12)) s.t1 = s.t0 + 1;
    s.ticks.clear();
    const double slack = 1e-9 * (s.t1 - s.t0);
    for (double t : all)
      if (s.T(t) >= s.t0 - slack && s.T(t) <= s.t1 + slack) s.ticks.push_back(t);
    const int need = horizontal ? WidestLabel(s.ticks) + 2 * kGap : TextHeight() + kGap;
    int closest = length;
    for (size_t i = 1; i < s.ticks.size(); ++i)
      closest = std::min(closest, Pixel(s, s.ticks[i], 0, length) - Pixel(s, s.ticks[i - 1], 0, length));
    if (closest >= need || max_intervals == 1) return s;
  }
}

std::string Title(const AxisSpec& spec) { return spec.log ? spec.title + " (log scale)" : spec.title; }

}  // namespace

double PlotAxes::Scale::T(double v) const { return spec.log ? std::log10(v) : v; }

PlotAxes::PlotAxes(Raster& raster, std::string_view title, const AxisSpec& x, const AxisSpec& y, bool square) {
  const int w = raster.width(), h = raster.height(), th = TextHeight();
  const bool title_fits = !title.empty() && TextWidth(title) <= w - 2 * kPad;
  // Top: the title line, then room for the upper half of the top y label.
  top_ = kPad + (title_fits ? th + 2 * kGap : 0) + kDigitMid + 1;
  // Bottom: tick marks, x tick labels, the x axis title.
  bottom_ = h - 1 - kPad - (x.title.empty() ? 0 : th + kGap) - th - kGap - kTickLen;
  y_ = FitScale(y, bottom_ - top_, /*horizontal=*/false);
  // Left: the y axis title (turned), the widest y tick label, the tick marks.
  left_ = kPad + (y.title.empty() ? 0 : th + kGap) + WidestLabel(y_.ticks) + kGap + kTickLen;
  // Right: half the last x label, which is centred on its tick; fitted twice, as the ticks depend on it.
  right_ = w - 1 - kPad - TextWidth("000") / 2;
  for (int pass = 0; pass < 2; ++pass) {
    x_ = FitScale(x, right_ - left_, /*horizontal=*/true);
    const int overhang = x_.ticks.empty() || Pixel(x_, x_.ticks.back(), left_, right_) < right_
                             ? 0
                             : (TextWidth(TickLabel(x_.ticks.back())) + 1) / 2;
    right_ = w - 1 - std::max(kPad, overhang + 2);
  }
  if (square) {
    const int side = std::min(right_ - left_, bottom_ - top_);
    left_ += (right_ - left_ - side) / 2;
    right_ = left_ + side;
    top_ += (bottom_ - top_ - side) / 2;
    bottom_ = top_ + side;
    x_ = FitScale(x, side, /*horizontal=*/true);
    y_ = FitScale(y, side, /*horizontal=*/false);
  }

  for (double t : x_.ticks) {
    const int px = X(t);
    if (px > left_ && px < right_) raster.Line(px, top_ + 1, px, bottom_ - 1, kGrid);
    raster.Line(px, bottom_ + 1, px, bottom_ + kTickLen, kFrame);
    const std::string label = TickLabel(t);
    const int lw = TextWidth(label);
    raster.Text(std::clamp(px - lw / 2, 0, w - lw), bottom_ + kTickLen + kGap, label, kText);
  }
  for (double t : y_.ticks) {
    const int py = Y(t);
    if (py > top_ && py < bottom_) raster.Line(left_ + 1, py, right_ - 1, py, kGrid);
    raster.Line(left_ - kTickLen, py, left_ - 1, py, kFrame);
    const std::string label = TickLabel(t);
    raster.Text(left_ - kTickLen - kGap - TextWidth(label), py - kDigitMid, label, kText);
  }
  raster.Rect(left_, top_, right_, bottom_, kFrame);

  const int mid_x = (left_ + right_) / 2, mid_y = (top_ + bottom_) / 2;
  if (title_fits) {
    const int tw = TextWidth(title);
    raster.Text(std::clamp(mid_x - tw / 2, kPad, w - kPad - tw), kPad, title, kText);
  }
  if (!x.title.empty()) {
    const std::string t = Title(x_.spec);
    const int tw = TextWidth(t);
    raster.Text(std::clamp(mid_x - tw / 2, 0, std::max(0, w - tw)), bottom_ + kTickLen + kGap + th + kGap, t, kText);
  }
  if (!y.title.empty()) {
    const std::string t = Title(y_.spec);
    raster.TextUp(kPad, std::max(0, mid_y - TextWidth(t) / 2), t, kText);
  }
}

int PlotAxes::X(double v) const { return Pixel(x_, v, left_, right_); }
int PlotAxes::Y(double v) const { return Pixel(y_, v, bottom_, top_); }

bool PlotAxes::Contains(double x, double y) const {
  if ((x_.spec.log && !(x > 0)) || (y_.spec.log && !(y > 0))) return false;
  const double tx = x_.T(x), ty = y_.T(y), sx = 1e-9 * (x_.t1 - x_.t0), sy = 1e-9 * (y_.t1 - y_.t0);
  return tx >= x_.t0 - sx && tx <= x_.t1 + sx && ty >= y_.t0 - sy && ty <= y_.t1 + sy;
}

}  // namespace ddpm
