#include "diffusion/denoising_loop.h"

#include <cmath>
#include <utility>

#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"
#include "diffusion/scheduling_dpmsolver_multistep.h"

namespace ddpm {

const std::vector<std::string> kSamplerNames = {"ddpm", "ddim", "dpmpp"};

namespace {

template <class S>
class SchedulerAdapter : public AnyScheduler {
 public:
  SchedulerAdapter(S s, double eta) : s_(std::move(s)), eta_(eta) {}
  Status SetTimesteps(int64_t n) override { return s_.SetTimesteps(n); }
  const std::vector<int64_t>& timesteps() const override { return s_.timesteps(); }
  int64_t num_train_timesteps() const override { return s_.config().num_train_timesteps; }
  Status StepInto(const Tensor& mo, int64_t t, const Tensor& x, PhiloxRng* rng, StepOutput* out) override {
    StepOptions o;
    o.rng = rng;
    o.eta = eta_;
    return s_.StepInto(mo, t, x, o, out);
  }
  Expected<Tensor> AddNoise(const Tensor& x0, const Tensor& noise, int64_t t) const override {
    return s_.AddNoise(x0, noise, {t});
  }

 private:
  S s_;
  double eta_;
};

template <class S>
Expected<std::unique_ptr<AnyScheduler>> Adapt(const JsonConfig& cfg, double eta) {
  DDPM_ASSIGN_OR_RETURN(S s, S::FromConfig(cfg));
  return std::unique_ptr<AnyScheduler>(new SchedulerAdapter<S>(std::move(s), eta));
}

}  // namespace

Expected<std::unique_ptr<AnyScheduler>> MakeScheduler(const std::string& name, const JsonConfig& cfg, double eta) {
  if (name == "ddpm") return Adapt<DDPMScheduler>(cfg, eta);
  if (name == "ddim") return Adapt<DDIMScheduler>(cfg, eta);
  // DPM-Solver++ (multistep, order 2 by default, as diffusers)
  if (name == "dpmpp") return Adapt<DPMSolverMultistepScheduler>(cfg, eta);
  return InvalidArgument("scheduler '" + name + "' must be one of " + JoinChoices(kSamplerNames));
}

Status SetSamplerSteps(AnyScheduler* scheduler, int steps) {
  if (steps < 1 || steps > scheduler->num_train_timesteps())
    return InvalidArgument("steps " + std::to_string(steps) + " must be in 1.." +
                           std::to_string(scheduler->num_train_timesteps()) + " (the model's num_train_timesteps)");
  return scheduler->SetTimesteps(steps);
}

Expected<Tensor> RunDenoisingLoop(AnyScheduler* scheduler, GuidedModel* model, Tensor x, size_t first, PhiloxRng* rng,
                                  const StepCallback& on_step) {
  // Every buffer of the loop lives outside it and is reused, so a step allocates nothing (tested in
  // tests/unit/diffusion/pipeline_allocation_test.cc) once the model's own buffers are planned.
  Tensor pred;
  StepOutput out;
  const auto& ts = scheduler->timesteps();
  for (size_t i = first; i < ts.size(); ++i) {
    const int64_t t = ts[i];
    DDPM_RETURN_IF_ERROR(model->Predict(x, t, &pred));
    DDPM_RETURN_IF_ERROR(scheduler->StepInto(pred, t, x, rng, &out));
    std::swap(x, out.prev_sample);  // the old x's buffer takes the next step's output
    if (on_step) {
      const int step = int(i - first + 1), total = int(ts.size() - first);
      if (!on_step(StepProgress{step, total, t, &x, &out.pred_original_sample}))
        return Cancelled("generation cancelled at step " + std::to_string(step));
    }
  }
  DDPM_RETURN_IF_ERROR(CheckFiniteResult(x));
  return x;
}

Status CheckFiniteResult(const Tensor& x) {
  size_t bad = 0;
  for (size_t i = 0; i < x.size(); ++i) bad += std::isfinite(x[i]) ? 0 : 1;
  if (bad == 0) return Status::Ok();
  return InvalidArgument("the result has " + std::to_string(bad) + " non-finite values of " + std::to_string(x.size()) +
                         " (the model or the settings diverged); nothing was written");
}

}  // namespace ddpm
