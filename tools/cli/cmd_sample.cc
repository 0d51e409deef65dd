// ddpm sample: noise -> images with a diffusers pipeline folder (UNet2DModel, or the toy 2-D MLP).
// Output by extension: *.png a grid, *.safetensors `images` F32 [N, C, H, W] in [0, 1] (toy models:
// `points` [N, 2]), anything else a directory of 00000.png, 00001.png, ... Everything is computed
// before anything is written, so a failed run leaves no output behind.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "cli_common.h"
#include "cli_unet.h"
#include "commands.h"
#include "diffusion/pipeline.h"
#include "diffusion/sampling_defaults.h"
#include "diffusion/toy_sampling.h"
#include "diffusion/unet_sampling.h"
#include "io/canvas.h"
#include "io/file_util.h"
#include "io/image_grid.h"
#include "io/json_config.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "nn/toy_mlp.h"
#include "progress.h"
#include "sampler_flags.h"

namespace ddpm::cli {
namespace {

class SampleCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("sample", "Generate images (noise -> x0) with a pipeline folder");
    sub->add_option("--model", model_, "diffusers pipeline folder (or UNet folder)")->required();
    // Unset sampling options come from the model's sampling_defaults.json (else ddim, 50 steps, eta 0,
    // guidance 1 at every timestep); what was taken from there is said on stderr.
    sampler_.Register(sub, "denoising steps");
    sub->add_option("--num-images", num_images_, "images to generate")->default_val(8)->check(CLI::Range(1, 4096));
    class_opt_ = sub->add_option("--class", class_, "class label for every image (class-conditional models)");
    AddSeedOption(sub, &seed_, "seed of the initial noise (same seed, same images, native or wasm)");
    AddThreadsOption(sub, &threads_);
    sub->add_option("--latents", latents_, "x_T to start from (`latents` F32 [N, C, H, W], as `ddpm invert` writes)");
    clip_opt_ = sub->add_option("--clip-sample", clip_sample_,
                                "true | false: clip x0 to [-1, 1] at each step (default: the scheduler config's; "
                                "false to sample back from `ddpm invert`'s latents)");
    sub->add_option("--output", output_, "*.png grid, *.safetensors, or a directory of PNGs")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".png", ".safetensors"}, /*folder_ok=*/true); !st.ok())
      return Fail("sample", st);
    auto model = LoadFolderModel(model_);
    if (!model.ok()) return Fail("sample", model.status());
    const DiffusersFolder* folder = &model->folder;
    JsonConfig sched = JsonConfig::Parse("{}", "default DDPM scheduler").value();
    if (!folder->scheduler_config.empty()) {
      auto s = JsonConfig::ReadFile(folder->scheduler_config);
      if (!s.ok()) return Fail("sample", s.status());
      sched = std::move(s).value();
    }
    auto defaults = ReadSamplingDefaults(folder->root);
    if (!defaults.ok()) return Fail("sample", defaults.status());
    const SamplingDefaults use = ResolveSampling(*defaults, sampler_.Given());
    if (Status st = CheckSamplingSettings(use); !st.ok()) return Fail("sample", st);
    SampleOptions so;
    so.scheduler = use.scheduler;
    so.steps = use.steps;
    so.eta = use.eta;
    so.num_images = num_images_;
    so.seed = seed_;
    so.guidance_scale = use.guidance_scale;
    so.guidance_interval = use.guidance_interval;
    if (clip_opt_->count()) so.clip_sample = clip_sample_;
    if (class_opt_->count()) so.class_labels = {class_};  // a negative label is the core's range error
    if (model->unet) {  // labels are checked before anything is said or run (SampleUNet checks them again)
      if (Status st = CheckSampleLabels(model->classes, so.class_labels, so.guidance_scale); !st.ok())
        return Fail("sample", st);
    }
    // Said once the run has started, i.e. once every input has passed the core's checks (an error stays one line).
    std::string note;
    if (!defaults->source.empty() && sampler_.UsesDefaults(*defaults))
      note = "sampling defaults for what was not given: " + defaults->Describe();

    Tensor latents;
    if (!latents_.empty()) {
      if (model->toy) return Fail("sample", InvalidArgument("--latents is for UNet models, not the toy 2-D model"));
      auto l = ReadLatents(latents_);
      if (!l.ok()) return Fail("sample", l.status());
      latents = std::move(l).value();
      so.latents = &latents;
      so.num_images = int(latents.dim(0));  // the latents decide how many images
    }
    ThreadPool pool(ResolveThreads(threads_));
    ProgressBar bar("sample " + so.scheduler, so.steps);
    so.on_step = [&](const StepProgress& p) {
      if (!note.empty()) {
        std::fprintf(stderr, "%s\n", note.c_str());
        note.clear();
      }
      bar.Update(p.step);
      return true;
    };
    Expected<Tensor> images = Tensor();
    if (model->toy) {
      images = SampleToy(model->toy.get(), sched, so, &pool);
    } else {
      images = SampleUNet(model->unet.get(), model->classes, sched, so, &pool);
    }
    if (!images.ok()) return Fail("sample", images.status());
    bar.Finish();
    Status st = model->toy ? WriteToy(*images) : WriteImagesOutput(output_, *images);
    if (!st.ok()) return Fail("sample", st);
    std::fprintf(stderr, "wrote %s\n", output_.c_str());
    return 0;
  }

 private:
  Status WriteToy(const Tensor& x) const {
    const std::vector<float> pts(x.data(), x.data() + x.size());
    if (OutputExtension(output_) == ".safetensors") {
      SafeTensorsWriter w;
      w.AddFloat("points", Shape{x.dim(0), x.dim(1)}, x.data());
      return w.WriteFile(output_);
    }
    if (OutputExtension(output_) != ".png") return InvalidArgument("--output for a toy 2-D model must be *.png or *.safetensors");
    return WritePng(output_, PlotScatter({pts}, {{31, 119, 180}}, 3.0f, 400));
  }

  static Expected<Tensor> ReadLatents(const std::string& path) {
    DDPM_ASSIGN_OR_RETURN(SafeTensors st, SafeTensors::ReadFile(path));
    DDPM_ASSIGN_OR_RETURN(Tensor x, st.GetFloat("latents"));
    if (x.rank() != 4 || x.dim(0) < 1) return InvalidArgument(path + ": latents must be [N, C, H, W], got " + ShapeToString(x.shape()));
    return x;
  }

  std::string model_, output_, latents_;
  SamplerFlags sampler_;
  bool clip_sample_ = true;
  CLI::Option* clip_opt_ = nullptr;
  CLI::Option* class_opt_ = nullptr;
  int num_images_ = 8, threads_ = 1;
  int64_t class_ = -1;
  uint64_t seed_ = 0;
};

}  // namespace

std::unique_ptr<Command> MakeSampleCommand() { return std::make_unique<SampleCommand>(); }

}  // namespace ddpm::cli
