// Inpaint(): RePaintPipeline.__call__ of diffusers v0.31.0 (pipelines/deprecated/repaint).
#include <algorithm>
#include <cstring>
#include <utility>

#include "base/rng.h"
#include "diffusion/denoising_loop.h"
#include "diffusion/editing.h"
#include "diffusion/guidance.h"
#include "diffusion/scheduling_repaint.h"

namespace ddpm {
namespace {

// The random draws of a run, in order: from a caller's stored tensor (exact replay) or the seeded stream.
class NoiseDraws {
 public:
  NoiseDraws(const Tensor* stored, uint64_t seed) : stored_(stored), rng_(seed) {}

  Status Fill(float* out, size_t n) {
    if (stored_ == nullptr) {
      rng_.Normal(out, n);
      return Status::Ok();
    }
    if (used_ + n > stored_->size())
      return InvalidArgument("noise_draws ran out after " + std::to_string(used_ / n) + " draws of " +
                             std::to_string(n) + " values (shape " + ShapeToString(stored_->shape()) + ")");
    std::memcpy(out, stored_->data() + used_, n * sizeof(float));
    used_ += n;
    return Status::Ok();
  }

 private:
  const Tensor* stored_;
  PhiloxRng rng_;
  size_t used_ = 0;
};

Status CheckInpaintInputs(const Tensor& image, const Tensor& mask, const JsonConfig& cfg) {
  if (image.rank() != 4) return InvalidArgument("image must be [N, C, H, W], got " + ShapeToString(image.shape()));
  if (mask.rank() != 4 || (mask.dim(0) != 1 && mask.dim(0) != image.dim(0)) || mask.dim(1) != 1 ||
      mask.dim(2) != image.dim(2) || mask.dim(3) != image.dim(3))
    return InvalidArgument("mask shape " + ShapeToString(mask.shape()) + " must be [N or 1, 1, H, W] for image shape " +
                           ShapeToString(image.shape()));
  std::string prediction = "epsilon";
  DDPM_RETURN_IF_ERROR(cfg.GetString("prediction_type", &prediction));
  if (prediction != "epsilon")
    return InvalidArgument("inpainting (RePaint) needs a model that predicts epsilon; this one predicts " + prediction);
  return Status::Ok();
}

}  // namespace

Expected<Tensor> Inpaint(const NoisePredictor& model, const Tensor& image, const Tensor& mask,
                         const JsonConfig& scheduler_config, const InpaintOptions& o) {
  DDPM_RETURN_IF_ERROR(CheckInpaintInputs(image, mask, scheduler_config));
  DDPM_ASSIGN_OR_RETURN(GuidedModel guided,
                        GuidedModel::Make(model, o.class_labels, image.dim(0), o.guidance_scale, o.null_class,
                                          o.guidance_interval));
  // The pipeline sets scheduler.eta = eta; everything else comes from the model's config.
  nlohmann::json raw = scheduler_config.raw();
  raw["eta"] = o.eta;
  DDPM_ASSIGN_OR_RETURN(RePaintScheduler scheduler, RePaintScheduler::FromConfig(JsonConfig(raw, scheduler_config.source())));
  DDPM_RETURN_IF_ERROR(scheduler.SetTimesteps(o.steps, o.jump_length, o.jump_n_sample));

  NoiseDraws draws(o.noise_draws, o.seed);
  DDPM_ASSIGN_OR_RETURN(Tensor x, NewTensor(image.shape()));
  DDPM_RETURN_IF_ERROR(draws.Fill(x.data(), x.size()));  // x_T
  Shape undo_shape = image.shape();
  undo_shape.insert(undo_shape.begin(), scheduler.undo_draws());
  DDPM_ASSIGN_OR_RETURN(Tensor undo_noise, NewTensor(undo_shape));
  Tensor pred, step_noise(image.shape());
  StepOutput out;
  StepOptions step_options, undo_options;
  step_options.noise = &step_noise;
  undo_options.noise = &undo_noise;

  const std::vector<int64_t>& ts = scheduler.timesteps();
  int64_t t_last = ts.front() + 1;
  for (size_t i = 0; i < ts.size(); ++i) {
    const int64_t t = ts[i];
    if (t < t_last) {  // x_t -> x_{t-1}
      DDPM_RETURN_IF_ERROR(guided.Predict(x, t, &pred));
      DDPM_RETURN_IF_ERROR(draws.Fill(step_noise.data(), step_noise.size()));
      DDPM_RETURN_IF_ERROR(scheduler.StepInto(pred, t, x, image, mask, step_options, &out));
      std::swap(x, out.prev_sample);
    } else {  // a jump back: x_{t_last} -> x_{t_last + T/n}
      DDPM_RETURN_IF_ERROR(draws.Fill(undo_noise.data(), undo_noise.size()));
      DDPM_RETURN_IF_ERROR(scheduler.UndoStepInto(x, t_last, undo_options, &x, nullptr));
    }
    t_last = t;
    if (o.on_step && !o.on_step(StepProgress{int(i + 1), int(ts.size()), t, &x, &out.pred_original_sample}))
      return Cancelled("inpainting cancelled at step " + std::to_string(i + 1));
  }
  DDPM_RETURN_IF_ERROR(CheckFiniteResult(x));
  return x;
}

}  // namespace ddpm
