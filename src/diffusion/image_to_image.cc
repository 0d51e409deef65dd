// ImageToImage(): SDEdit (Meng et al. 2022) the way diffusers' img2img pipelines pick the start
// (StableDiffusionImg2ImgPipeline.get_timesteps and prepare_latents), on any of the three samplers.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "base/rng.h"
#include "diffusion/denoising_loop.h"
#include "diffusion/editing.h"
#include "diffusion/guidance.h"

namespace ddpm {

namespace {
// 0.05, not 0.050000: the number as a user typed it.
std::string Shortest(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}
}  // namespace
namespace {

// get_timesteps: init_timestep = min(int(steps * strength), steps); start at steps - init_timestep.
Expected<size_t> FirstStepIndex(int steps, double strength) {
  if (!(strength > 0.0 && strength <= 1.0))
    return InvalidArgument("strength must be in (0, 1], got " + Shortest(strength));
  const int64_t init = std::min<int64_t>(static_cast<int64_t>(steps * strength), steps);
  if (init < 1)
    return InvalidArgument("strength " + Shortest(strength) + " with " + std::to_string(steps) +
                           " steps leaves no denoising step (strength * steps must be at least 1)");
  return static_cast<size_t>(steps - init);
}

Expected<std::unique_ptr<AnyScheduler>> ScheduledSampler(const JsonConfig& cfg, const std::string& name, int steps,
                                                         double eta) {
  DDPM_ASSIGN_OR_RETURN(std::unique_ptr<AnyScheduler> scheduler, MakeScheduler(name, cfg, eta));
  DDPM_RETURN_IF_ERROR(SetSamplerSteps(scheduler.get(), steps));
  return scheduler;
}

}  // namespace

Expected<int64_t> ImageToImageStartTimestep(const JsonConfig& cfg, const std::string& name, int steps,
                                            double strength) {
  DDPM_ASSIGN_OR_RETURN(std::unique_ptr<AnyScheduler> scheduler, ScheduledSampler(cfg, name, steps, 0.0));
  DDPM_ASSIGN_OR_RETURN(size_t first, FirstStepIndex(steps, strength));
  return scheduler->timesteps()[first];
}

Expected<Tensor> ImageToImage(const NoisePredictor& model, const Tensor& image, const JsonConfig& cfg,
                              const ImageToImageOptions& o) {
  if (image.rank() != 4) return InvalidArgument("image must be [N, C, H, W], got " + ShapeToString(image.shape()));
  DDPM_ASSIGN_OR_RETURN(GuidedModel guided,
                        GuidedModel::Make(model, o.class_labels, image.dim(0), o.guidance_scale, o.null_class,
                                          o.guidance_interval));
  DDPM_ASSIGN_OR_RETURN(std::unique_ptr<AnyScheduler> scheduler, ScheduledSampler(cfg, o.scheduler, o.steps, o.eta));
  DDPM_ASSIGN_OR_RETURN(size_t first, FirstStepIndex(o.steps, o.strength));

  // prepare_latents: the image noised to the first timestep that will run, with the seed's first draw.
  PhiloxRng rng(o.seed);
  DDPM_ASSIGN_OR_RETURN(Tensor noise, NewTensor(image.shape()));
  rng.Normal(noise.data(), noise.size());
  DDPM_ASSIGN_OR_RETURN(Tensor x, scheduler->AddNoise(image, noise, scheduler->timesteps()[first]));
  return RunDenoisingLoop(scheduler.get(), &guided, std::move(x), first, &rng, o.on_step);
}

}  // namespace ddpm
