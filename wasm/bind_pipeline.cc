// sample() for JS: the reverse process with a loaded UNet2DModel (src/diffusion/unet_sampling.h, the
// same path as `ddpm sample`). Conversions only; web/src/pipeline.js fills in the option defaults.
#include <string>

#include <emscripten/bind.h>

#include "diffusion/pipeline.h"
#include "diffusion/unet_sampling.h"
#include "io/json_config.h"
#include "js_convert.h"
#include "unet_handle.h"

namespace ddpm::wasm {
namespace {

// options: {scheduler, steps?, eta, numImages, classLabels?, guidanceScale, seed, latents?}.
// on_step(progress) after every step, with progress = {step, total, timestep, preview: the predicted x0,
// latents: x_{t-1}, the sample the step produced} (Tensors);
// returning false stops the run, which then returns {error, cancelled: true}.
val Sample(UNetHandle& unet, const std::string& scheduler_json, const val& options, const val& on_step) {
  if (!unet.model()) return ErrorValue(InvalidArgument(NotLoaded()));
  Expected<JsonConfig> sched = JsonConfig::Parse(scheduler_json, "scheduler config");
  if (!sched.ok()) return ErrorValue(sched.status());
  SampleOptions so;
  if (options["scheduler"].isString()) so.scheduler = options["scheduler"].as<std::string>();
  so.steps = options["steps"].isNumber() ? options["steps"].as<int>() : DefaultSampleSteps(so.scheduler);
  ReadNumber(options, "eta", &so.eta);
  double num_images = so.num_images, seed = 0;
  ReadNumber(options, "numImages", &num_images);
  ReadNumber(options, "seed", &seed);
  so.num_images = static_cast<int>(num_images);
  so.seed = static_cast<uint64_t>(seed);
  ReadNumber(options, "guidanceScale", &so.guidance_scale);
  Expected<std::vector<int64_t>> labels = OptionalIntsFromJs(options["classLabels"], "classLabels");
  if (!labels.ok()) return ErrorValue(labels.status());
  so.class_labels = std::move(labels).value();
  Expected<Tensor> latents = Tensor();
  if (!options["latents"].isUndefined() && !options["latents"].isNull()) {
    latents = TensorFromJs(options["latents"], "latents");
    if (!latents.ok()) return ErrorValue(latents.status());
    so.latents = &latents.value();
  }
  if (!on_step.isUndefined() && !on_step.isNull()) {
    so.on_step = [&on_step](const StepProgress& p) {
      val progress = val::object();
      progress.set("step", p.step);
      progress.set("total", p.total);
      progress.set("timestep", static_cast<double>(p.timestep));
      progress.set("preview", TensorToJs(*p.pred_original));
      progress.set("latents", TensorToJs(*p.sample));
      return !on_step(progress).isFalse();
    };
  }
  Expected<Tensor> images = SampleUNet(unet.model(), unet.classes(), *sched, so, unet.pool());
  if (!images.ok()) return ErrorValue(images.status());
  return TensorToJs(*images);
}

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_pipeline) {
  emscripten::function("sample", &ddpm::wasm::Sample);
}
