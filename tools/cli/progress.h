// A one-line progress bar on stderr: "label [#####.....] 12/50  8.3 it/s  ETA 3s  loss 0.0312".
// On a terminal it redraws in place; otherwise (logs, CI) it prints a line every 10%, and at least once a
// minute so that a long run's log shows it moving.
#pragma once

#include <chrono>
#include <string>

namespace ddpm::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, long long total, long long start = 0);
  // `extra` is appended (e.g. the loss). Cheap to call every step: redraws at most 10 times a second.
  void Update(long long done, const std::string& extra = "");
  void Finish(const std::string& extra = "");

 private:
  void Draw(long long done, const std::string& extra, bool final);

  std::string label_;
  long long total_, start_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point t0_, last_draw_;
};

}  // namespace ddpm::cli
