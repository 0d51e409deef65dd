// The CLI progress bar's rate (tools/cli/progress.h, StepRate): the steps it reports over the time they took,
// so that a short run ends at its real rate instead of "0.00 it/s". Times are given by hand.
#include <catch2/catch.hpp>

#include "../tools/cli/progress.h"

using ddpm::cli::StepRate;

TEST_CASE("progress rate: a short run reported every step gives its real rate", "[cli][progress]") {
  // 5 steps of 10 ms, the first ending 10 ms after the bar was made: 100 steps a second, however short.
  StepRate r;
  for (int step = 1; step <= 5; ++step) r.Record(step, 0.010 * step);
  CHECK(r.PerSecond() == Approx(100.0));
}

TEST_CASE("progress rate: unknown until two steps are timed", "[cli][progress]") {
  StepRate r;
  CHECK(r.PerSecond() < 0);
  r.Record(1, 0.004);
  CHECK(r.PerSecond() < 0);  // one step: nothing timed yet (not 0 it/s)
  r.Record(1, 0.5);          // the same step again (a checkpoint event): still nothing
  CHECK(r.PerSecond() < 0);
  r.Record(2, 0.014);
  CHECK(r.PerSecond() == Approx(100.0));
}

TEST_CASE("progress rate: setup before the first step and work after the last are not counted", "[cli][progress]") {
  // ddpm train makes its bar in the first step's callback (a resumed run from step 40: steps 41..45), after
  // 2 s of loading, then writes a checkpoint and a preview for 3 s before Finish reports step 45 again.
  StepRate r;
  const double t_first = 2.0;
  for (int step = 41; step <= 45; ++step) r.Record(step, t_first + 0.25 * (step - 41));
  r.Record(45, t_first + 1.0 + 3.0);  // the checkpoint, the preview, then Finish
  CHECK(r.PerSecond() == Approx(4.0));  // 4 steps in 1 s, not 5 steps (nor 45) over 5 s
}

TEST_CASE("progress rate: a step count that goes back is ignored", "[cli][progress]") {
  StepRate r;
  r.Record(10, 1.0);
  r.Record(20, 2.0);
  r.Record(15, 9.0);
  CHECK(r.PerSecond() == Approx(10.0));
}
