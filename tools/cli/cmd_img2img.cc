// ddpm img2img: SDEdit. Noise --image to the timestep --strength selects (as diffusers' image-to-image
// pipelines do; 1 = pure noise) and denoise from there, optionally towards another --class.
#include <cstdio>
#include <string>

#include "base/thread_pool.h"
#include "cli_common.h"
#include "cli_unet.h"
#include "commands.h"
#include "diffusion/editing.h"
#include "diffusion/pipeline.h"
#include "progress.h"

namespace ddpm::cli {
namespace {

class ImageToImageCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("img2img", "Re-generate an image from part way along the noise schedule (SDEdit)");
    sub->add_option("--model", model_, "diffusers pipeline folder (or UNet folder)")->required();
    sub->add_option("--image", image_, "the picture, PNG (grey or RGB; fitted to the model's size)")->required();
    sub->add_option("--strength", o_.strength, "in (0, 1]: how much noise to add first (1 = pure noise)")->required();
    sub->add_option("--class", class_, "class label to steer towards (class-conditional models)");
    sub->add_option("--scheduler", o_.scheduler, "ddpm | ddim | dpmpp")->default_val("ddim");
    sub->add_option("--steps", steps_, "steps of the full schedule (default: 1000 ddpm, 50 ddim, 20 dpmpp)");
    sub->add_option("--eta", o_.eta, "DDIM noise weight (0 = deterministic)")->default_val(0.0);
    sub->add_option("--guidance-scale", guidance_, "classifier-free guidance weight (1 = off)")->default_val(1.0);
    AddSeedOption(sub, &o_.seed, "seed of the added noise");
    AddThreadsOption(sub, &threads_);
    sub->add_option("--output", output_, "*.png, *.safetensors, or a directory of PNGs")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".png", ".safetensors"}, /*folder_ok=*/true); !st.ok())
      return Fail("img2img", st);
    o_.steps = steps_ > 0 ? steps_ : DefaultSampleSteps(o_.scheduler);
    auto model = LoadUNetPipeline(model_);
    if (!model.ok()) return Fail("img2img", model.status());
    std::vector<std::string> notes;
    auto image = ReadModelImage(image_, model->unet->config(), "--image", &notes);
    if (!image.ok()) return Fail("img2img", image.status());
    Status st = SetEditClass(*model, class_, guidance_, &o_);
    if (!st.ok()) return Fail("img2img", st);
    auto start = ImageToImageStartTimestep(model->scheduler_config, o_.scheduler, o_.steps, o_.strength);
    if (!start.ok()) return Fail("img2img", start.status());
    std::fprintf(stderr, "strength %g: starting at timestep %lld\n", o_.strength, static_cast<long long>(*start));
    PrintNotes(notes);
    ThreadPool pool(ResolveThreads(threads_));
    ProgressBar bar("img2img " + o_.scheduler, int64_t(o_.steps * o_.strength));
    o_.on_step = ProgressCallback(&bar);
    auto x = ImageToImage(UNetNoisePredictor(model->unet.get(), &pool), *image, model->scheduler_config, o_);
    if (!x.ok()) return Fail("img2img", x.status());
    bar.Finish();
    st = WriteImagesOutput(output_, *x);
    if (!st.ok()) return Fail("img2img", st);
    std::fprintf(stderr, "wrote %s\n", output_.c_str());
    return 0;
  }

 private:
  std::string model_, image_, output_;
  ImageToImageOptions o_;
  int64_t class_ = -1;
  double guidance_ = 1.0;
  int steps_ = 0, threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeImageToImageCommand() { return std::make_unique<ImageToImageCommand>(); }

}  // namespace ddpm::cli
