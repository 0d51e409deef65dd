// Invert() and Slerp(): DDIM inversion to x_T, and the interpolation between two x_T.
#include <cmath>
#include <utility>

#include "diffusion/denoising_loop.h"
#include "diffusion/editing.h"
#include "diffusion/guidance.h"
#include "diffusion/scheduling_ddim_inverse.h"

namespace ddpm {

Expected<Tensor> Invert(const NoisePredictor& model, const Tensor& image, const JsonConfig& cfg,
                        const InvertOptions& o) {
  if (image.rank() != 4) return InvalidArgument("image must be [N, C, H, W], got " + ShapeToString(image.shape()));
  DDPM_ASSIGN_OR_RETURN(GuidedModel guided,
                        GuidedModel::Make(model, o.class_labels, image.dim(0), o.guidance_scale, o.null_class,
                                          o.guidance_interval));
  // Unclipped whatever the model's config says: clipping x0 at a step loses what the step cannot undo
  // (with the shipped Fashion-MNIST model's clip_sample true, a round trip erred 5x more).
  DDPM_ASSIGN_OR_RETURN(DDIMInverseScheduler scheduler, DDIMInverseScheduler::FromConfig(cfg.With("clip_sample", false)));
  DDPM_RETURN_IF_ERROR(scheduler.SetTimesteps(o.steps));
  Tensor x = image, pred;
  StepOutput out;
  const std::vector<int64_t>& ts = scheduler.timesteps();
  for (size_t i = 0; i < ts.size(); ++i) {
    DDPM_RETURN_IF_ERROR(guided.Predict(x, ts[i], &pred));
    DDPM_RETURN_IF_ERROR(scheduler.StepInto(pred, ts[i], x, &out));
    std::swap(x, out.prev_sample);  // the noisier sample
    if (o.on_step && !o.on_step(StepProgress{int(i + 1), int(ts.size()), ts[i], &x, &out.pred_original_sample}))
      return Cancelled("inversion cancelled at step " + std::to_string(i + 1));
  }
  DDPM_RETURN_IF_ERROR(CheckFiniteResult(x));
  return x;
}

Expected<Tensor> Slerp(const Tensor& a, const Tensor& b, double t) {
  DDPM_RETURN_IF_ERROR(CheckSameShape("a", a, "b", b));
  if (!(t >= 0.0 && t <= 1.0)) return InvalidArgument("slerp t must be in [0, 1], got " + std::to_string(t));
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  DDPM_ASSIGN_OR_RETURN(Tensor out, NewTensor(a.shape()));
  const double cos_theta = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : 1.0;
  double wa = 1.0 - t, wb = t;  // nearly parallel (or zero) vectors: a linear blend is the limit
  if (std::fabs(cos_theta) < 0.9995) {
    const double theta = std::acos(cos_theta), s = std::sin(theta);
    wa = std::sin((1.0 - t) * theta) / s;
    wb = std::sin(t * theta) / s;
  }
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<float>(wa * a[i] + wb * b[i]);
  return out;
}

}  // namespace ddpm
