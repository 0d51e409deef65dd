// sample()'s options from JS, shared by the UNet's and the toy MLP's sample bindings. Conversions only.
#pragma once

#include <emscripten/val.h>

#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/pipeline.h"
#include "diffusion/sampling_defaults.h"

namespace ddpm::wasm {

// options: {scheduler?, steps?, eta?, numImages, classLabels?, guidanceScale?, seed, latents?,
// samplingDefaults?: the model's sampling_defaults.json text} into *so (ResolveSampling fills what is unset).
// The caller's x_T (options.latents) is copied into *latents, which so->latents then points at.
// on_step (a JS function, or undefined/null for none) is called after every step with {step, total,
// timestep, preview: the predicted x0, latents: x_{t-1}} (Tensors); returning false stops the run.
// It is held by reference: it must outlive the sampling call.
Status SampleOptionsFromJs(const emscripten::val& options, const emscripten::val& on_step, SampleOptions* so,
                           Tensor* latents);

}  // namespace ddpm::wasm
