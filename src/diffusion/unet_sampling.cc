#include "diffusion/unet_sampling.h"

#include <memory>
#include <string>
#include <utility>

namespace ddpm {
namespace {

std::string LabelRange(int64_t usable) { return "0.." + std::to_string(usable - 1); }

}  // namespace

Expected<UNetClasses> ReadUNetClasses(const JsonConfig& cfg) {
  DDPM_ASSIGN_OR_RETURN(nn::UNet2DConfig c, nn::UNet2DConfig::FromJson(cfg));
  return UNetClasses{c.num_class_embeds.value_or(0), c.null_class_index.value_or(-1)};
}

Status CheckSampleLabels(const UNetClasses& classes, const std::vector<int64_t>& labels, double guidance_scale) {
  const int64_t usable = classes.usable();
  if (classes.num_class_embeds == 0 && !labels.empty())
    return InvalidArgument("class labels given, but the model has no class embedding");
  if (classes.num_class_embeds > 0 && labels.empty())
    return InvalidArgument("the model is class-conditional: give a class label (" + LabelRange(usable) + ")");
  for (int64_t l : labels)
    if (l < 0 || l >= usable)
      return InvalidArgument("class label " + std::to_string(l) + " is out of range: the model has " +
                             std::to_string(usable) + " classes (" + LabelRange(usable) + ")");
  if (guidance_scale != 1.0 && labels.empty())
    return InvalidArgument("guidance scale " + std::to_string(guidance_scale) +
                           " needs class labels (guidance mixes conditional and null-class predictions)");
  return Status::Ok();
}

Status CheckEditClasses(const UNetClasses& classes, EditOptions* o) {
  DDPM_RETURN_IF_ERROR(CheckSampleLabels(classes, o->class_labels, o->guidance_scale));
  o->null_class = classes.null_class;
  return Status::Ok();
}

NoisePredictor UNetNoisePredictor(nn::UNet2DModel* unet, ThreadPool* pool) {
  // The timesteps live in a buffer kept between calls, so a step allocates nothing once the UNet's
  // arena is planned. std::function copies its target: the buffer is shared, not held by value.
  auto timesteps = std::make_shared<std::vector<float>>();
  return [unet, pool, timesteps](const Tensor& x, int64_t t, const std::vector<int64_t>& labels, Tensor* out) {
    timesteps->assign(static_cast<size_t>(x.dim(0)), static_cast<float>(t));
    return unet->ForwardInto(x, *timesteps, labels, out, pool);
  };
}

Expected<Tensor> SampleUNet(nn::UNet2DModel* unet, const UNetClasses& classes, const JsonConfig& scheduler_config,
                            SampleOptions options, ThreadPool* pool) {
  const nn::UNet2DConfig& c = unet->config();
  if (c.sample_height <= 0) return InvalidArgument("the UNet config has no sample_size: the image size is unknown");
  DDPM_RETURN_IF_ERROR(CheckSampleLabels(classes, options.class_labels, options.guidance_scale));
  options.null_class = classes.null_class;
  return Sample(UNetNoisePredictor(unet, pool), {c.in_channels, c.sample_height, c.sample_width}, scheduler_config,
                options);
}

}  // namespace ddpm
