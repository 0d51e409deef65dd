// A one-line progress bar on stderr: "label [#####.....] 12/50  8.3 it/s  ETA 3s  loss 0.0312".
// On a terminal it redraws in place; otherwise (logs, CI) it prints a line every 10%, and at least once a
// minute so that a long run's log shows it moving.
#pragma once

#include <chrono>
#include <string>

namespace ddpm::cli {

// The rate a bar shows: steps per second from the first step it is told of to the latest. Counting from the
// first reported step, not from when the bar was made, keeps out what the steps do not measure: loading before
// the first step, or the first step itself when the bar is made after it (`ddpm train` makes its bar in the
// first step's callback, knowing only then where a resumed run starts). Time after the latest step (a checkpoint
// and a preview written before Finish) is not counted either. Inline so that the unit tests can time it by hand.
class StepRate {
 public:
  // `done` steps at `secs` seconds (from any fixed origin). A count no higher than the last one (a step's
  // checkpoint and preview events report it again) changes nothing.
  void Record(long long done, double secs) {
    if (!started_) {
      first_done_ = last_done_ = done;
      first_secs_ = last_secs_ = secs;
      started_ = true;
    } else if (done > last_done_) {
      last_done_ = done;
      last_secs_ = secs;
    }
  }
  // Steps per second, or -1 while it is unknown: fewer than two step counts seen, so nothing has been timed.
  double PerSecond() const {
    const double span = last_secs_ - first_secs_;
    return last_done_ > first_done_ && span > 0 ? double(last_done_ - first_done_) / span : -1.0;
  }

 private:
  bool started_ = false;
  long long first_done_ = 0, last_done_ = 0;
  double first_secs_ = 0, last_secs_ = 0;
};

class ProgressBar {
 public:
  // `start`: the steps done before this run (a resumed one). The rate does not need it (StepRate counts from
  // the first step reported), so it only documents the caller's intent.
  ProgressBar(std::string label, long long total, long long start = 0);
  // `extra` is appended (e.g. the loss). Cheap to call every step: redraws at most 10 times a second.
  void Update(long long done, const std::string& extra = "");
  void Finish(const std::string& extra = "");

 private:
  void Draw(long long done, const std::string& extra, bool final);
  double Seconds() const;

  std::string label_;
  long long total_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point t0_, last_draw_;
  StepRate rate_;
};

}  // namespace ddpm::cli
