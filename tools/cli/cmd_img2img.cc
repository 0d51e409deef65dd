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
#include "sampler_flags.h"

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
    // Unset, the sampler settings come from the model's sampling_defaults.json, as in `ddpm sample`.
    sampler_.Register(sub, "steps of the full schedule");
    AddSeedOption(sub, &o_.seed, "seed of the added noise");
    AddThreadsOption(sub, &threads_);
    sub->add_option("--output", output_, "*.png, *.safetensors, or a directory of PNGs")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".png", ".safetensors"}, /*folder_ok=*/true); !st.ok())
      return Fail("img2img", st);
    auto model = LoadUNetPipeline(model_);
    if (!model.ok()) return Fail("img2img", model.status());
    const SamplingDefaults use = ResolveSampling(model->defaults, sampler_.Given());
    if (Status st = CheckSamplingSettings(use); !st.ok()) return Fail("img2img", st);
    o_.scheduler = use.scheduler;
    o_.steps = use.steps;
    o_.eta = use.eta;
    o_.guidance_interval = use.guidance_interval;
    std::vector<std::string> notes;
    auto image = ReadModelImage(image_, model->unet->config(), "--image", &notes);
    if (!image.ok()) return Fail("img2img", image.status());
    Status st = SetEditClass(*model, class_, use.guidance_scale, &o_);
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
  SamplerFlags sampler_;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeImageToImageCommand() { return std::make_unique<ImageToImageCommand>(); }

}  // namespace ddpm::cli
