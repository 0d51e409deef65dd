#include "diffusion/pipeline.h"

#include <cstdint>
#include <cstring>
#include <memory>

#include "base/rng.h"
#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"
#include "diffusion/scheduling_dpmsolver_multistep.h"

namespace ddpm {

const std::vector<std::string> kSamplerNames = {"ddpm", "ddim", "dpmpp"};

int DefaultSampleSteps(const std::string& scheduler) { return scheduler == "ddpm" ? 1000 : scheduler == "dpmpp" ? 20 : 50; }

namespace {

// The schedulers differ in their extra knobs; the loop only needs these three calls.
class AnyScheduler {
 public:
  virtual ~AnyScheduler() = default;
  virtual Status SetTimesteps(int64_t n) = 0;
  virtual const std::vector<int64_t>& timesteps() const = 0;
  virtual int64_t num_train_timesteps() const = 0;
  virtual Status StepInto(const Tensor& model_output, int64_t t, const Tensor& x, PhiloxRng* rng, StepOutput* out) = 0;
};

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

 private:
  S s_;
  double eta_;
};

Expected<std::unique_ptr<AnyScheduler>> MakeScheduler(const std::string& name, const JsonConfig& cfg, double eta) {
  if (name == "ddpm") {
    DDPM_ASSIGN_OR_RETURN(DDPMScheduler s, DDPMScheduler::FromConfig(cfg));
    return std::unique_ptr<AnyScheduler>(new SchedulerAdapter<DDPMScheduler>(std::move(s), eta));
  }
  if (name == "ddim") {
    DDPM_ASSIGN_OR_RETURN(DDIMScheduler s, DDIMScheduler::FromConfig(cfg));
    return std::unique_ptr<AnyScheduler>(new SchedulerAdapter<DDIMScheduler>(std::move(s), eta));
  }
  if (name == "dpmpp") {  // DPM-Solver++ (multistep, order 2 by default, as diffusers)
    DDPM_ASSIGN_OR_RETURN(DPMSolverMultistepScheduler s, DPMSolverMultistepScheduler::FromConfig(cfg));
    return std::unique_ptr<AnyScheduler>(new SchedulerAdapter<DPMSolverMultistepScheduler>(std::move(s), eta));
  }
  std::string list;
  for (const auto& n : kSamplerNames) list += (list.empty() ? "" : ", ") + n;
  return InvalidArgument("scheduler '" + name + "' must be one of " + list);
}

// Stacks [x; x] for a guided batch, into *d (its buffer is reused from step to step).
Status DoubleInto(const Tensor& x, Tensor* d) {
  // x is [N, C, H, W] (Sample checks the image shape); dims on the stack, so a step allocates nothing.
  const int64_t dims[4] = {2 * x.dim(0), x.dim(1), x.dim(2), x.dim(3)};
  DDPM_RETURN_IF_ERROR(ReuseTensor(d, dims, "the guidance batch"));
  std::memcpy(d->data(), x.data(), x.size() * sizeof(float));
  std::memcpy(d->data() + x.size(), x.data(), x.size() * sizeof(float));
  return Status::Ok();
}

}  // namespace

Expected<Tensor> Sample(const NoisePredictor& model, const Shape& image_shape, const JsonConfig& scheduler_config,
                        const SampleOptions& o) {
  if (image_shape.size() != 3) return InvalidArgument("image shape must be [C, H, W], got " + ShapeToString(image_shape));
  if (o.num_images < 1) return InvalidArgument("num_images must be at least 1, got " + std::to_string(o.num_images));
  const int64_t n = o.num_images;
  if (!o.class_labels.empty() && o.class_labels.size() != 1 && int64_t(o.class_labels.size()) != n)
    return InvalidArgument("got " + std::to_string(o.class_labels.size()) + " class labels for " + std::to_string(n) +
                           " images (give one for all, or one per image)");
  const bool guided = o.guidance_scale != 1.0 && !o.class_labels.empty();
  if (guided && o.null_class < 0)
    return InvalidArgument("guidance_scale " + std::to_string(o.guidance_scale) +
                           " needs a model trained with a null class for the unconditional prediction");
  DDPM_ASSIGN_OR_RETURN(std::unique_ptr<AnyScheduler> scheduler, MakeScheduler(o.scheduler, scheduler_config, o.eta));
  if (o.steps < 1 || o.steps > scheduler->num_train_timesteps())
    return InvalidArgument("steps " + std::to_string(o.steps) + " must be in 1.." +
                           std::to_string(scheduler->num_train_timesteps()) + " (the model's num_train_timesteps)");
  DDPM_RETURN_IF_ERROR(scheduler->SetTimesteps(o.steps));

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

  std::vector<int64_t> labels;
  if (!o.class_labels.empty())
    for (int64_t i = 0; i < n; ++i) labels.push_back(o.class_labels.size() == 1 ? o.class_labels[0] : o.class_labels[i]);
  std::vector<int64_t> guided_labels = labels;
  if (guided) guided_labels.insert(guided_labels.end(), size_t(n), o.null_class);

  // Every buffer of the loop lives outside it and is reused, so a step allocates nothing (tested in
  // tests/unit/diffusion/pipeline_allocation_test.cc) once the model's own buffers are planned.
  Tensor pred, doubled, guided_pred;
  StepOutput out;
  const auto& ts = scheduler->timesteps();
  for (size_t i = 0; i < ts.size(); ++i) {
    const int64_t t = ts[i];
    if (guided) {
      DDPM_RETURN_IF_ERROR(DoubleInto(x, &doubled));
      DDPM_RETURN_IF_ERROR(model(doubled, t, guided_labels, &guided_pred));
      // ε = ε_u + w·(ε_c − ε_u): conditional rows first, unconditional second.
      DDPM_RETURN_IF_ERROR(ReuseTensor(&pred, x.shape()));
      const float w = float(o.guidance_scale);
      for (size_t k = 0; k < x.size(); ++k) {
        const float c = guided_pred[k], u = guided_pred[x.size() + k];
        pred[k] = u + w * (c - u);
      }
    } else {
      DDPM_RETURN_IF_ERROR(model(x, t, labels, &pred));
    }
    if (pred.shape() != x.shape())
      return InvalidArgument("model output shape " + ShapeToString(pred.shape()) + " differs from the sample's " +
                             ShapeToString(x.shape()));
    DDPM_RETURN_IF_ERROR(scheduler->StepInto(pred, t, x, &rng, &out));
    std::swap(x, out.prev_sample);  // the old x's buffer takes the next step's output
    if (o.on_step) {
      StepProgress p{int(i + 1), int(ts.size()), t, &x, &out.pred_original_sample};
      if (!o.on_step(p)) return Cancelled("generation cancelled at step " + std::to_string(i + 1));
    }
  }
  return x;
}

}  // namespace ddpm
