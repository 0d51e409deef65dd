// The reverse process over any of the samplers (DDPM, DDIM, DPM-Solver++): one interface for the
// three schedulers, and the loop Sample() and ImageToImage() share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/guidance.h"
#include "diffusion/pipeline_types.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

extern const std::vector<std::string> kSamplerNames;  // ddpm, ddim, dpmpp

// The schedulers differ in their extra knobs; the loops only need these calls.
class AnyScheduler {
 public:
  virtual ~AnyScheduler() = default;
  virtual Status SetTimesteps(int64_t n) = 0;
  virtual const std::vector<int64_t>& timesteps() const = 0;
  virtual int64_t num_train_timesteps() const = 0;
  virtual Status StepInto(const Tensor& model_output, int64_t t, const Tensor& x, PhiloxRng* rng, StepOutput* out) = 0;
  // The scheduler's add_noise (DPM-Solver++'s uses its sigmas, so call it after SetTimesteps).
  virtual Expected<Tensor> AddNoise(const Tensor& x0, const Tensor& noise, int64_t t) const = 0;
};

// `name` is one of kSamplerNames; `eta` is DDIM's noise weight (ignored by the others).
Expected<std::unique_ptr<AnyScheduler>> MakeScheduler(const std::string& name, const JsonConfig& config, double eta);

// SetTimesteps(steps) with the range check and message the pipelines share.
Status SetSamplerSteps(AnyScheduler* scheduler, int steps);

// An error when a pipeline's result holds NaN or infinity (a model or settings that diverged), so that no
// caller writes black pictures: "the result has N non-finite values of M ...". Every pipeline ends with it.
Status CheckFiniteResult(const Tensor& x);

// Denoises x from timesteps()[first] to the end; noise the steps need comes from rng. on_step (may be
// empty) sees each step, numbered from 1 to timesteps().size() - first, and can cancel.
Expected<Tensor> RunDenoisingLoop(AnyScheduler* scheduler, GuidedModel* model, Tensor x, size_t first, PhiloxRng* rng,
                                  const StepCallback& on_step);

}  // namespace ddpm
