#include "progress.h"

#include <cstdio>
#include <unistd.h>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// Emscripten's isatty() calls every standard stream a terminal; ask Node about the real stderr.
// clang-format off
EM_JS(int, DdpmStderrIsTty, (), {
  return (typeof process === 'object' && process.stderr && process.stderr.isTTY) ? 1 : 0;
});
// clang-format on
#endif

namespace ddpm::cli {
namespace {
bool StderrIsTty() {
#ifdef __EMSCRIPTEN__
  return DdpmStderrIsTty() != 0;
#else
  return isatty(STDERR_FILENO) != 0;
#endif
}
}  // namespace

using Clock = std::chrono::steady_clock;

ProgressBar::ProgressBar(std::string label, long long total, long long /*start*/)
    : label_(std::move(label)), total_(total), tty_(StderrIsTty()), t0_(Clock::now()) {}

double ProgressBar::Seconds() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

void ProgressBar::Update(long long done, const std::string& extra) {
  rate_.Record(done, Seconds());  // every step, drawn or not: the rate is timed to the latest one
  if (total_ > 0 && done >= total_) return;  // Finish() draws the last line, with the run's time
  const auto now = Clock::now();
  const int decile = total_ > 0 ? int(10 * done / total_) : 0;
  if (tty_ ? now - last_draw_ < std::chrono::milliseconds(100)
           : decile == last_decile_ && now - last_draw_ < std::chrono::seconds(60))
    return;
  last_draw_ = now;
  last_decile_ = decile;
  Draw(done, extra, false);
}

void ProgressBar::Finish(const std::string& extra) {
  rate_.Record(total_, Seconds());  // counts only if the caller did not report the last step itself
  Draw(total_, extra, true);
}

void ProgressBar::Draw(long long done, const std::string& extra, bool final) {
  const double secs = Seconds();
  // Unknown until two steps have been timed: then the line leaves the rate and the ETA out rather than print
  // "0.00 it/s  ETA 0s", which reads as a stalled run about to end.
  const double rate = rate_.PerSecond();
  const double eta = rate > 0 ? double(total_ - done) / rate : 0.0;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? int(kWidth * done / total_) : 0;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = 0;
  char rate_text[32] = "";
  if (rate > 0) std::snprintf(rate_text, sizeof rate_text, "  %.2f it/s", rate);
  char eta_text[32] = "";
  if (final) std::snprintf(eta_text, sizeof eta_text, secs < 10 ? "  in %.2fs" : "  in %.1fs", secs);
  else if (rate <= 0) eta_text[0] = 0;  // no ETA without a rate
  else if (eta >= 3600) std::snprintf(eta_text, sizeof eta_text, "  ETA %.0fh%02.0fm", eta / 3600, (eta - 3600 * int(eta / 3600)) / 60);
  else if (eta >= 60) std::snprintf(eta_text, sizeof eta_text, "  ETA %.0fm%02.0fs", eta / 60 - 0.5, eta - 60 * int(eta / 60));
  else std::snprintf(eta_text, sizeof eta_text, "  ETA %.0fs", eta);
  std::fprintf(stderr, "%s%s [%s] %lld/%lld%s%s%s%s%s", tty_ ? "\r\033[K" : "", label_.c_str(), bar, done, total_,
               rate_text, eta_text, extra.empty() ? "" : "  ", extra.c_str(), (final || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace ddpm::cli
