// ddpm invert: DDIM inversion of --image to its x_T (with its --class), written as `latents`
// F32 [1, C, H, W]; `ddpm sample --latents` with DDIM (eta 0, the same steps, --clip-sample false) gives
// the image back (it prints that command).
#include <cstdio>
#include <string>

#include "base/thread_pool.h"
#include "cli_common.h"
#include "cli_unet.h"
#include "commands.h"
#include "diffusion/editing.h"
#include "io/safetensors.h"
#include "progress.h"

namespace ddpm::cli {
namespace {

class InvertCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("invert", "DDIM inversion: the x_T that DDIM sampling turns into an image");
    sub->add_option("--model", model_, "diffusers pipeline folder (or UNet folder)")->required();
    sub->add_option("--image", image_, "the picture, PNG (grey or RGB; fitted to the model's size)")->required();
    sub->add_option("--class", class_, "the image's class label (class-conditional models)");
    sub->add_option("--steps", o_.steps, "inversion steps (sample back with the same number)")->default_val(50);
    AddThreadsOption(sub, &threads_);
    sub->add_option("--output", output_, "LATENTS.safetensors (`latents` F32 [1, C, H, W])")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".safetensors"}, /*folder_ok=*/false); !st.ok()) return Fail("invert", st);
    auto model = LoadUNetPipeline(model_);
    if (!model.ok()) return Fail("invert", model.status());
    std::vector<std::string> notes;
    auto image = ReadModelImage(image_, model->unet->config(), "--image", &notes);
    if (!image.ok()) return Fail("invert", image.status());
    Status st = SetEditClass(*model, class_, 1.0, &o_);
    if (!st.ok()) return Fail("invert", st);
    PrintNotes(notes);
    ThreadPool pool(ResolveThreads(threads_));
    ProgressBar bar("invert", o_.steps);
    o_.on_step = ProgressCallback(&bar);
    auto x = Invert(UNetNoisePredictor(model->unet.get(), &pool), *image, model->scheduler_config, o_);
    if (!x.ok()) return Fail("invert", x.status());
    bar.Finish();
    SafeTensorsWriter w;
    w.AddFloat("latents", *x);
    st = w.WriteFile(output_);
    if (!st.ok()) return Fail("invert", st);
    std::fprintf(stderr, "wrote %s\n", output_.c_str());
    // The inversion ran unclipped (Invert): sampling back must too.
    std::string back = "ddpm sample --model " + model_ + " --latents " + output_ + " --scheduler ddim --eta 0 --steps " +
                       std::to_string(o_.steps) + " --guidance-scale 1 --clip-sample false";
    if (class_ >= 0) back += " --class " + std::to_string(class_);
    std::fprintf(stderr, "sample it back: %s --output OUT.png\n", back.c_str());
    return 0;
  }

 private:
  std::string model_, image_, output_;
  InvertOptions o_;
  int64_t class_ = -1;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeInvertCommand() { return std::make_unique<InvertCommand>(); }

}  // namespace ddpm::cli
