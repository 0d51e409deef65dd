// sample() for JS: the reverse process with a loaded UNet2DModel (src/diffusion/unet_sampling.h, the
// same path as `ddpm sample`). Conversions only; web/src/pipeline.js fills in the option defaults.
#include <string>

#include <emscripten/bind.h>

#include "diffusion/unet_sampling.h"
#include "io/json_config.h"
#include "js_convert.h"
#include "sample_options.h"
#include "unet_handle.h"

namespace ddpm::wasm {
namespace {

// options and on_step as SampleOptionsFromJs reads them; a run that on_step stops returns
// {error, cancelled: true}.
val Sample(UNetHandle& unet, const std::string& scheduler_json, const val& options, const val& on_step) {
  if (!unet.model()) return ErrorValue(InvalidArgument(NotLoaded()));
  Expected<JsonConfig> sched = JsonConfig::Parse(scheduler_json, "scheduler config");
  if (!sched.ok()) return ErrorValue(sched.status());
  SampleOptions so;
  Tensor latents;
  if (Status st = SampleOptionsFromJs(options, on_step, &so, &latents); !st.ok()) return ErrorValue(st);
  Expected<Tensor> images = SampleUNet(unet.model(), unet.classes(), *sched, so, unet.pool());
  if (!images.ok()) return ErrorValue(images.status());
  return TensorToJs(*images);
}

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_pipeline) {
  emscripten::function("sample", &ddpm::wasm::Sample);
}
