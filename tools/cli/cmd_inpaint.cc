// ddpm inpaint: fill the black part of --mask in --image with RePaint (diffusers' RePaintPipeline:
// jumps back and forth along the schedule so the filled region agrees with the kept one).
#include <cstdio>
#include <optional>
#include <string>

#include "base/thread_pool.h"
#include "cli_common.h"
#include "cli_unet.h"
#include "commands.h"
#include "diffusion/editing.h"
#include "progress.h"

namespace ddpm::cli {
namespace {

class InpaintCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("inpaint", "Regenerate the black part of a mask in an image (RePaint)");
    sub->add_option("--model", model_, "diffusers pipeline folder (or UNet folder)")->required();
    sub->add_option("--image", image_, "the picture, PNG (grey or RGB; fitted to the model's size)")->required();
    sub->add_option("--mask", mask_, "PNG: white = keep, black = fill in")->required();
    sub->add_option("--class", class_, "class label (class-conditional models)");
    // Unset, they come from the model's sampling_defaults.json ("inpaint"), else diffusers' 250 / 10 / 10.
    steps_opt_ = sub->add_option("--steps", steps_, "denoising steps (default: the model's, else RePaint's 250)")
                     ->check(CLI::Range(1, 100000));
    jump_length_opt_ = sub->add_option("--jump-length", jump_length_, "steps per jump back up the schedule (default: the model's, else 10)")
                           ->check(CLI::Range(1, 100000));
    jump_n_sample_opt_ = sub->add_option("--jump-n-sample", jump_n_sample_, "times each jump is taken (default: the model's, else 10)")
                             ->check(CLI::Range(1, 1000));
    sub->add_option("--eta", o_.eta, "noise weight in the filled region (0 DDIM-like, 1 DDPM-like)")->default_val(0.0);
    sub->add_option("--guidance-scale", guidance_, "classifier-free guidance weight (1 = off)")->default_val(1.0);
    AddSeedOption(sub, &o_.seed, "seed of every random draw");
    AddThreadsOption(sub, &threads_);
    sub->add_option("--output", output_, "*.png, *.safetensors, or a directory of PNGs")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".png", ".safetensors"}, /*folder_ok=*/true); !st.ok())
      return Fail("inpaint", st);
    auto model = LoadUNetPipeline(model_);
    if (!model.ok()) return Fail("inpaint", model.status());
    std::vector<std::string> notes;
    auto image = ReadModelImage(image_, model->unet->config(), "--image", &notes);
    if (!image.ok()) return Fail("inpaint", image.status());
    auto mask = ReadMaskImage(mask_, model->unet->config(), &notes);
    if (!mask.ok()) return Fail("inpaint", mask.status());
    Status st = SetEditClass(*model, class_, guidance_, &o_);
    if (!st.ok()) return Fail("inpaint", st);
    auto given = [](CLI::Option* opt, int value) { return opt->count() ? std::optional<int>(value) : std::nullopt; };
    const InpaintSchedule schedule = ResolveInpaint(model->defaults, given(steps_opt_, steps_),
                                                    given(jump_length_opt_, jump_length_), given(jump_n_sample_opt_, jump_n_sample_));
    o_.steps = schedule.steps;
    o_.jump_length = schedule.jump_length;
    o_.jump_n_sample = schedule.jump_n_sample;
    PrintNotes(notes);
    ThreadPool pool(ResolveThreads(threads_));
    // The progress total is the jump schedule's length; it is known once the pipeline starts.
    ProgressBar* bar = nullptr;
    std::unique_ptr<ProgressBar> owned;
    o_.on_step = [&](const StepProgress& p) {
      if (!bar) bar = (owned = std::make_unique<ProgressBar>("inpaint", p.total)).get();
      bar->Update(p.step);
      return true;
    };
    auto x = Inpaint(UNetNoisePredictor(model->unet.get(), &pool), *image, *mask, model->scheduler_config, o_);
    if (!x.ok()) return Fail("inpaint", x.status());
    if (bar) bar->Finish();
    st = WriteImagesOutput(output_, *x);
    if (!st.ok()) return Fail("inpaint", st);
    std::fprintf(stderr, "wrote %s\n", output_.c_str());
    return 0;
  }

 private:
  std::string model_, image_, mask_, output_;
  InpaintOptions o_;
  int64_t class_ = -1;
  double guidance_ = 1.0;
  int steps_ = 0, jump_length_ = 0, jump_n_sample_ = 0;
  CLI::Option *steps_opt_ = nullptr, *jump_length_opt_ = nullptr, *jump_n_sample_opt_ = nullptr;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeInpaintCommand() { return std::make_unique<InpaintCommand>(); }

}  // namespace ddpm::cli
