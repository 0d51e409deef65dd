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

ProgressBar::ProgressBar(std::string label, long long total, long long start)
    : label_(std::move(label)), total_(total), start_(start), tty_(StderrIsTty()), t0_(Clock::now()) {}

void ProgressBar::Update(long long done, const std::string& extra) {
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

void ProgressBar::Finish(const std::string& extra) { Draw(total_, extra, true); }

void ProgressBar::Draw(long long done, const std::string& extra, bool final) {
  const double secs = std::chrono::duration<double>(Clock::now() - t0_).count();
  // A rate over less than half a second (e.g. the first step of a resumed run) says nothing yet; the
  // final line of a short run still gives the rate it ran at.
  const double rate = secs > 0.5 || (final && secs > 0) ? double(done - start_) / secs : 0.0;
  const double eta = rate > 0 ? double(total_ - done) / rate : 0.0;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? int(kWidth * done / total_) : 0;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = 0;
  char eta_text[32];
  if (final) std::snprintf(eta_text, sizeof eta_text, secs < 10 ? "in %.2fs" : "in %.1fs", secs);
  else if (eta >= 3600) std::snprintf(eta_text, sizeof eta_text, "ETA %.0fh%02.0fm", eta / 3600, (eta - 3600 * int(eta / 3600)) / 60);
  else if (eta >= 60) std::snprintf(eta_text, sizeof eta_text, "ETA %.0fm%02.0fs", eta / 60 - 0.5, eta - 60 * int(eta / 60));
  else std::snprintf(eta_text, sizeof eta_text, "ETA %.0fs", eta);
  std::fprintf(stderr, "%s%s [%s] %lld/%lld  %.2f it/s  %s%s%s%s", tty_ ? "\r\033[K" : "", label_.c_str(), bar, done,
               total_, rate, eta_text, extra.empty() ? "" : "  ", extra.c_str(), (final || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace ddpm::cli
