// sample()'s and the editing calls' options from JS, shared by the UNet's and the toy MLP's sample bindings
// and bind_edit.cc. Conversions only.
#pragma once

#include <emscripten/val.h>

#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/editing.h"
#include "diffusion/pipeline.h"
#include "diffusion/sampling_defaults.h"

namespace ddpm::wasm {

// The model's sampling_defaults.json (options.samplingDefaults, JSON text), or the built-ins when absent.
Expected<SamplingDefaults> ModelSamplingDefaults(const emscripten::val& options);

// The sampler settings a run uses: options.{scheduler, steps, eta, guidanceScale, guidanceInterval} where given,
// else the model's (options.samplingDefaults: its sampling_defaults.json text), by the core's rule
// (ResolveSampling), checked (CheckSamplingSettings).
Expected<SamplingDefaults> SamplingFromJs(const emscripten::val& options);

// on_step (a JS function, or undefined/null for none) as a StepCallback: called after every step with
// {step, total, timestep, preview: the predicted x0, latents: x_{t-1}} (Tensors); returning false stops
// the run. It is held by reference: it must outlive the run.
StepCallback StepCallbackFromJs(const emscripten::val& on_step);

// options: {scheduler?, steps?, eta?, numImages, classLabels?, guidanceScale?, guidanceInterval?, seed, latents?,
// clipSample?, samplingDefaults?} into *so. The caller's x_T (options.latents) is copied into *latents, which
// so->latents then points at.
Status SampleOptionsFromJs(const emscripten::val& options, const emscripten::val& on_step, SampleOptions* so,
                           Tensor* latents);

// What every editing call takes: {classLabels?, guidanceScale?, seed?} and on_step.
Status EditOptionsFromJs(const emscripten::val& options, const emscripten::val& on_step, EditOptions* eo);

}  // namespace ddpm::wasm
