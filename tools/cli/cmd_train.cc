// ddpm train: trains a model with the DDPM objective and leaves a diffusers pipeline folder (see
// train_app/train_run.h for what the folder holds). Ctrl-C writes a checkpoint and exits with 130;
// `--resume` continues exactly where it stopped. The wasm CLI does the same under the npm package's launcher
// (web/bin/ddpm-wasm.js), which relays the signal: see DdpmInterruptRequested below.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "progress.h"
#include "train_app/train_run.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
// Under Node a signal handler runs on the event loop, which main() does not return to while it trains, so
// std::signal's handler never runs. The launcher catches Ctrl-C and relays it through a pipe that a worker thread
// watches (tools/cli/wasm_interrupt_pre.js): this reads the flag it raises. 0 when not run by the launcher.
// clang-format off
EM_JS(int, DdpmInterruptRequested, (), {
  return typeof Module['ddpmInterrupted'] === 'function' ? Module['ddpmInterrupted']() : 0;
});
// clang-format on
#endif

namespace ddpm::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnInterrupt(int) { g_stop = true; }

class TrainCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("train", "Train a diffusion model; writes a pipeline folder");
    sub->add_option("--data", o_.data, "fashion-mnist[:DIR] | images:DIR | toy2d:swissroll|moons|gaussians")->required();
    sub->add_option("--out", o_.out_dir, "output pipeline folder")->required();
    sub->add_option("--config", o_.model_config, "model config.json (default: built in for the data)");
    sub->add_option("--steps", o_.steps, "total optimisation steps")->default_val(10000);
    sub->add_option("--batch-size", o_.batch_size, "examples per step")->default_val(64);
    sub->add_option("--lr", o_.lr, "peak learning rate (default 5e-4 images, 1e-3 toy)");
    sub->add_option("--warmup-steps", o_.warmup_steps, "linear warmup steps (default min(500, steps/10))");
    sub->add_option("--lr-schedule", o_.lr_schedule, "cosine (to 0 at --steps) or constant (after the warmup)")
        ->default_val("cosine");
    sub->add_option("--min-snr-gamma", o_.min_snr_gamma, "min-SNR-γ loss weighting (0 = off; 5 is usual)")
        ->default_val(0);
    sub->add_option("--ema-decay", o_.ema_decay, "EMA decay of the shipped weights")->default_val(0.999);
    sub->add_option("--label-dropout", o_.label_dropout, "probability of the null class (guidance)")->default_val(0.1);
    sub->add_flag("--resume", o_.resume, "continue from --out's checkpoint");
    AddSeedOption(sub, &o_.seed, "seed (the run is deterministic for seed and threads)");
    AddThreadsOption(sub, &threads_);
    sub->add_option("--checkpoint-every", o_.checkpoint_every, "steps between checkpoints")->default_val(1000);
    sub->add_option("--sample-every", o_.sample_every, "steps between sample grids")->default_val(1000);
    sub->add_option("--export-dtype", o_.export_dtype, "float type of the exported unet weights: f32, f16 (half the size) or bf16")->capture_default_str();
    return sub;
  }

  int Run() override {
    o_.threads = ResolveThreads(threads_);
    o_.stop = &g_stop;
    std::signal(SIGINT, OnInterrupt);
    std::signal(SIGTERM, OnInterrupt);
    ProgressBar bar("train", o_.steps);
    bool started = false;
    // The last step's figures for the bar. A std::string, not a char buffer: it is text from the start,
    // also when no step runs at all (a finished run resumed).
    std::string extra;
    o_.on_progress = [&](const TrainProgress& p) {
#ifdef __EMSCRIPTEN__
      if (DdpmInterruptRequested()) g_stop = true;  // after every step, as the native signal handler would
#endif
      if (!started) {
        bar = ProgressBar("train", p.total, p.step - 1);
        started = true;
      }
      char line[160];
      std::snprintf(line, sizeof line, "loss %.4f  %.0f ex/s  lr %.2e", p.loss, p.examples_per_second, p.lr);
      extra = line;
      if (p.event) std::fprintf(stderr, "\n%s at step %lld\n", p.event, static_cast<long long>(p.step));
      bar.Update(p.step, extra);
    };
    Status st = RunTraining(o_);
    if (st.code() == ErrorCode::kCancelled) {
      std::fprintf(stderr, "\nddpm train: %s\n", st.message().c_str());
      return 130;
    }
    if (!st.ok()) return Fail("train", st);
    if (!started) {  // a resumed run already at --steps: no step ran and nothing was written
      std::fprintf(stderr, "ddpm train: %s: the checkpoint has reached --steps %lld; nothing to train\n",
                   o_.out_dir.c_str(), static_cast<long long>(o_.steps));
      return 0;
    }
    bar.Finish(extra);
    std::fprintf(stderr, "wrote %s\n", o_.out_dir.c_str());
    return 0;
  }

 private:
  TrainRunOptions o_;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeTrainCommand() { return std::make_unique<TrainCommand>(); }

}  // namespace ddpm::cli
