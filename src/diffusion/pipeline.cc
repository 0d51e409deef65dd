#include "diffusion/pipeline.h"

#include <cstdint>
#include <memory>

#include "base/rng.h"

namespace ddpm {

int DefaultSampleSteps(const std::string& scheduler) { return scheduler == "ddpm" ? 1000 : scheduler == "dpmpp" ? 20 : 50; }

Expected<Tensor> Sample(const NoisePredictor& model, const Shape& image_shape, const JsonConfig& scheduler_config,
                        const SampleOptions& o) {
  if (image_shape.size() != 3) return InvalidArgument("image shape must be [C, H, W], got " + ShapeToString(image_shape));
  if (o.num_images < 1) return InvalidArgument("num_images must be at least 1, got " + std::to_string(o.num_images));
  const int64_t n = o.num_images;
  DDPM_ASSIGN_OR_RETURN(GuidedModel guided, GuidedModel::Make(model, o.class_labels, n, o.guidance_scale,
                                                              o.null_class, o.guidance_interval));
  const JsonConfig config = o.clip_sample ? scheduler_config.With("clip_sample", *o.clip_sample) : scheduler_config;
  DDPM_ASSIGN_OR_RETURN(std::unique_ptr<AnyScheduler> scheduler, MakeScheduler(o.scheduler, config, o.eta));
  DDPM_RETURN_IF_ERROR(SetSamplerSteps(scheduler.get(), o.steps));

  const Shape shape{n, image_shape[0], image_shape[1], image_shape[2]};
  PhiloxRng rng(o.seed);
  // wasm32 has a 32-bit size_t: a request beyond 4 GB must fail here, not wrap around in the allocation.
  const bool fits = uint64_t(NumElements(shape)) <= SIZE_MAX / sizeof(float);
  Tensor x = fits ? Tensor(shape) : Tensor();
  if (!fits || !x.ok())
    return OutOfMemory("cannot allocate " + std::to_string(n) + " images of " + ShapeToString(image_shape));
  if (o.latents) {
    if (o.latents->shape() != shape)
      return InvalidArgument("latents shape " + ShapeToString(o.latents->shape()) + ", expected " + ShapeToString(shape));
    x = *o.latents;
  } else {
    rng.Normal(x.data(), x.size());
  }
  return RunDenoisingLoop(scheduler.get(), &guided, std::move(x), 0, &rng, o.on_step);
}

}  // namespace ddpm
