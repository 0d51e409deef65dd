// ddpm interpolate: a strip of --frames images between the x_T of --seed and of --to-seed (slerp),
// each sampled with DDIM eta 0; the ends are what `ddpm sample --seed A/B --num-images 1` gives.
#include <cstdio>
#include <string>

#include "base/rng.h"
#include "base/thread_pool.h"
#include "cli_common.h"
#include "cli_unet.h"
#include "commands.h"
#include "diffusion/editing.h"
#include "diffusion/pipeline.h"
#include "io/image_grid.h"
#include "io/png.h"
#include "progress.h"

namespace ddpm::cli {
namespace {

class InterpolateCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("interpolate", "Images along a slerp between two seeds' x_T (DDIM, eta 0)");
    sub->add_option("--model", model_, "diffusers pipeline folder (or UNet folder)")->required();
    sub->add_option("--seed", seed_a_, "seed of the first x_T")->required();
    sub->add_option("--to-seed", seed_b_, "seed of the last x_T")->required();
    sub->add_option("--class", class_, "class label (class-conditional models)");
    sub->add_option("--frames", frames_, "images in the strip, ends included")->required()->check(CLI::Range(2, 256));
    sub->add_option("--steps", steps_, "DDIM steps")->default_val(50);
    sub->add_option("--guidance-scale", guidance_, "classifier-free guidance weight (1 = off)")->default_val(1.0);
    AddThreadsOption(sub, &threads_);
    sub->add_option("--output", output_, "STRIP.png (one row)")->required();
    return sub;
  }

  int Run() override {
    if (Status st = CheckOutputPath(output_, {".png"}, /*folder_ok=*/false); !st.ok()) return Fail("interpolate", st);
    auto model = LoadUNetPipeline(model_);
    if (!model.ok()) return Fail("interpolate", model.status());
    const nn::UNet2DConfig& c = model->unet->config();
    const Shape one{1, c.in_channels, c.sample_height, c.sample_width};
    // The x_T `ddpm sample --seed S --num-images 1` starts from.
    auto start = [&](uint64_t seed) {
      Tensor x(one);
      PhiloxRng rng(seed);
      rng.Normal(x.data(), x.size());
      return x;
    };
    const Tensor a = start(seed_a_), b = start(seed_b_);
    Tensor latents(Shape{frames_, one[1], one[2], one[3]});
    for (int k = 0; k < frames_; ++k) {
      auto f = Slerp(a, b, double(k) / double(frames_ - 1));
      if (!f.ok()) return Fail("interpolate", f.status());
      std::copy(f->data(), f->data() + f->size(), latents.data() + size_t(k) * a.size());
    }
    EditOptions classes;
    Status st = SetEditClass(*model, class_, guidance_, &classes);
    if (!st.ok()) return Fail("interpolate", st);
    SampleOptions so;
    so.scheduler = "ddim";
    so.steps = steps_;
    so.num_images = frames_;
    so.latents = &latents;
    so.class_labels = classes.class_labels;
    so.guidance_scale = guidance_;
    so.null_class = classes.null_class;
    ThreadPool pool(ResolveThreads(threads_));
    ProgressBar bar("interpolate", steps_);
    so.on_step = ProgressCallback(&bar);
    auto x = Sample(UNetNoisePredictor(model->unet.get(), &pool), {one[1], one[2], one[3]}, model->scheduler_config, so);
    if (!x.ok()) return Fail("interpolate", x.status());
    bar.Finish();
    auto strip = MakeImageGrid(*x, {.cols = frames_, .minus_one_to_one = true});
    if (!strip.ok()) return Fail("interpolate", strip.status());
    st = WritePng(output_, *strip);
    if (!st.ok()) return Fail("interpolate", st);
    std::fprintf(stderr, "wrote %s\n", output_.c_str());
    return 0;
  }

 private:
  std::string model_, output_;
  uint64_t seed_a_ = 0, seed_b_ = 0;
  int64_t class_ = -1;
  int frames_ = 8, steps_ = 50, threads_ = 1;
  double guidance_ = 1.0;
};

}  // namespace

std::unique_ptr<Command> MakeInterpolateCommand() { return std::make_unique<InterpolateCommand>(); }

}  // namespace ddpm::cli
