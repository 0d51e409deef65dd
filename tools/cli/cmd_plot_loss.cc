// ddpm plot-loss: redraws a training run's loss.png from its loss.csv (as `ddpm train` draws it at each
// checkpoint), e.g. for a run written by an older version.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "io/file_util.h"
#include "train_app/loss_log.h"

namespace ddpm::cli {
namespace {

class PlotLossCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("plot-loss", "Redraw a training run's loss.png from its loss.csv");
    sub->add_option("--run", run_, "the run's folder (`ddpm train --out`), holding loss.csv")->required();
    return sub;
  }

  int Run() override {
    const std::string csv = JoinPath(run_, "loss.csv");
    if (!FileExists(csv)) return Fail("plot-loss", NotFound(csv + ": no such file (a `ddpm train --out` folder has one)"));
    LossLog log;
    if (Status st = log.Load(csv, std::numeric_limits<int64_t>::max()); !st.ok()) return Fail("plot-loss", st);
    if (log.step.empty()) return Fail("plot-loss", InvalidArgument(csv + ": no steps to plot"));
    if (Status st = log.WritePlot(run_); !st.ok()) return Fail("plot-loss", st);
    std::fprintf(stderr, "wrote %s (%zu steps)\n", JoinPath(run_, "loss.png").c_str(), log.step.size());
    return 0;
  }

 private:
  std::string run_;
};

}  // namespace

std::unique_ptr<Command> MakePlotLossCommand() { return std::make_unique<PlotLossCommand>(); }

}  // namespace ddpm::cli
