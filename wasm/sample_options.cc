#include "sample_options.h"

#include <string>
#include <utility>
#include <vector>

#include "js_convert.h"

namespace ddpm::wasm {

Status SampleOptionsFromJs(const val& options, const val& on_step, SampleOptions* so, Tensor* latents) {
  // The model's sampling_defaults.json (JSON text, or absent) under what the caller chose.
  SamplingDefaults defaults;
  if (options["samplingDefaults"].isString()) {
    DDPM_ASSIGN_OR_RETURN(defaults, ParseSamplingDefaults(options["samplingDefaults"].as<std::string>(),
                                                          "sampling_defaults.json"));
  }
  SamplingChoice given;
  if (options["scheduler"].isString()) given.scheduler = options["scheduler"].as<std::string>();
  if (options["steps"].isNumber()) given.steps = options["steps"].as<int>();
  if (options["eta"].isNumber()) given.eta = options["eta"].as<double>();
  if (options["guidanceScale"].isNumber()) given.guidance_scale = options["guidanceScale"].as<double>();
  const SamplingDefaults use = ResolveSampling(defaults, given);
  DDPM_RETURN_IF_ERROR(CheckSamplingSettings(use));
  so->scheduler = use.scheduler;
  so->steps = use.steps;
  so->eta = use.eta;
  so->guidance_scale = use.guidance_scale;
  double num_images = so->num_images, seed = 0;
  ReadNumber(options, "numImages", &num_images);
  ReadNumber(options, "seed", &seed);
  so->num_images = static_cast<int>(num_images);
  so->seed = static_cast<uint64_t>(seed);
  DDPM_ASSIGN_OR_RETURN(so->class_labels, OptionalIntsFromJs(options["classLabels"], "classLabels"));
  if (!options["latents"].isUndefined() && !options["latents"].isNull()) {
    DDPM_ASSIGN_OR_RETURN(*latents, TensorFromJs(options["latents"], "latents"));
    so->latents = latents;
  }
  if (!on_step.isUndefined() && !on_step.isNull()) {
    so->on_step = [&on_step](const StepProgress& p) {
      val progress = val::object();
      progress.set("step", p.step);
      progress.set("total", p.total);
      progress.set("timestep", static_cast<double>(p.timestep));
      progress.set("preview", TensorToJs(*p.pred_original));
      progress.set("latents", TensorToJs(*p.sample));
      return !on_step(progress).isFalse();
    };
  }
  return Status::Ok();
}

}  // namespace ddpm::wasm
