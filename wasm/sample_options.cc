#include "sample_options.h"

#include <string>
#include <utility>
#include <vector>

#include "js_convert.h"

namespace ddpm::wasm {

Expected<SamplingDefaults> ModelSamplingDefaults(const val& options) {
  if (!options["samplingDefaults"].isString()) return SamplingDefaults{};
  return ParseSamplingDefaults(options["samplingDefaults"].as<std::string>(), "sampling_defaults.json");
}

Expected<SamplingDefaults> SamplingFromJs(const val& options) {
  DDPM_ASSIGN_OR_RETURN(SamplingDefaults defaults, ModelSamplingDefaults(options));
  SamplingChoice given;
  if (options["scheduler"].isString()) given.scheduler = options["scheduler"].as<std::string>();
  if (options["steps"].isNumber()) given.steps = options["steps"].as<int>();
  if (options["eta"].isNumber()) given.eta = options["eta"].as<double>();
  if (options["guidanceScale"].isNumber()) given.guidance_scale = options["guidanceScale"].as<double>();
  // [lo, hi], two integers (the JS side checks the type; the range is CheckSamplingSettings').
  if (options["guidanceInterval"].isArray())
    given.guidance_interval = GuidanceInterval{int64_t(options["guidanceInterval"][0].as<double>()),
                                               int64_t(options["guidanceInterval"][1].as<double>())};
  SamplingDefaults use = ResolveSampling(defaults, given);
  DDPM_RETURN_IF_ERROR(CheckSamplingSettings(use));
  return use;
}

StepCallback StepCallbackFromJs(const val& on_step) {
  if (on_step.isUndefined() || on_step.isNull()) return nullptr;
  return [&on_step](const StepProgress& p) {
    val progress = val::object();
    progress.set("step", p.step);
    progress.set("total", p.total);
    progress.set("timestep", static_cast<double>(p.timestep));
    progress.set("preview", TensorToJs(*p.pred_original));
    progress.set("latents", TensorToJs(*p.sample));
    return !on_step(progress).isFalse();
  };
}

Status SampleOptionsFromJs(const val& options, const val& on_step, SampleOptions* so, Tensor* latents) {
  DDPM_ASSIGN_OR_RETURN(SamplingDefaults use, SamplingFromJs(options));
  so->scheduler = use.scheduler;
  so->steps = use.steps;
  so->eta = use.eta;
  so->guidance_scale = use.guidance_scale;
  so->guidance_interval = use.guidance_interval;
  double num_images = so->num_images, seed = 0;
  ReadNumber(options, "numImages", &num_images);
  ReadNumber(options, "seed", &seed);
  so->num_images = static_cast<int>(num_images);
  so->seed = static_cast<uint64_t>(seed);
  if (options["clipSample"].isTrue() || options["clipSample"].isFalse()) so->clip_sample = options["clipSample"].isTrue();
  DDPM_ASSIGN_OR_RETURN(so->class_labels, OptionalIntsFromJs(options["classLabels"], "classLabels"));
  if (!options["latents"].isUndefined() && !options["latents"].isNull()) {
    DDPM_ASSIGN_OR_RETURN(*latents, TensorFromJs(options["latents"], "latents"));
    so->latents = latents;
  }
  so->on_step = StepCallbackFromJs(on_step);
  return Status::Ok();
}

Status EditOptionsFromJs(const val& options, const val& on_step, EditOptions* eo) {
  double seed = 0;
  ReadNumber(options, "seed", &seed);
  eo->seed = static_cast<uint64_t>(seed);
  ReadNumber(options, "guidanceScale", &eo->guidance_scale);
  DDPM_ASSIGN_OR_RETURN(eo->class_labels, OptionalIntsFromJs(options["classLabels"], "classLabels"));
  eo->on_step = StepCallbackFromJs(on_step);
  return Status::Ok();
}

}  // namespace ddpm::wasm
