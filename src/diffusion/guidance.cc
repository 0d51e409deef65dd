#include "diffusion/guidance.h"

#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace ddpm {
namespace {

// Stacks [x; x] for a guided batch, into *d (its buffer is reused from step to step).
Status DoubleInto(const Tensor& x, Tensor* d) {
  // x is [N, C, H, W]; dims on the stack, so a step allocates nothing.
  const int64_t dims[4] = {2 * x.dim(0), x.dim(1), x.dim(2), x.dim(3)};
  DDPM_RETURN_IF_ERROR(ReuseTensor(d, dims, "the guidance batch"));
  std::memcpy(d->data(), x.data(), x.size() * sizeof(float));
  std::memcpy(d->data() + x.size(), x.data(), x.size() * sizeof(float));
  return Status::Ok();
}

}  // namespace

std::string GuidanceInterval::Describe() const {
  if (IsAll()) return "every t";
  const std::string top = hi == std::numeric_limits<int64_t>::max() ? "end" : std::to_string(hi);
  return "t in [" + std::to_string(lo) + ", " + top + "]";
}

Expected<GuidedModel> GuidedModel::Make(NoisePredictor model, const std::vector<int64_t>& class_labels, int64_t n,
                                        double guidance_scale, int64_t null_class, GuidanceInterval interval) {
  if (!class_labels.empty() && class_labels.size() != 1 && int64_t(class_labels.size()) != n)
    return InvalidArgument("got " + std::to_string(class_labels.size()) + " class labels for " + std::to_string(n) +
                           " images (give one for all, or one per image)");
  GuidedModel g;
  g.model_ = std::move(model);
  g.guided_ = guidance_scale != 1.0 && !class_labels.empty();
  if (g.guided_ && null_class < 0)
    return InvalidArgument("guidance_scale " + std::to_string(guidance_scale) +
                           " needs a model trained with a null class for the unconditional prediction");
  g.scale_ = float(guidance_scale);
  g.interval_ = interval;
  if (!class_labels.empty())
    for (int64_t i = 0; i < n; ++i) g.labels_.push_back(class_labels.size() == 1 ? class_labels[0] : class_labels[i]);
  g.guided_labels_ = g.labels_;
  if (g.guided_) g.guided_labels_.insert(g.guided_labels_.end(), size_t(n), null_class);
  return g;
}

Status GuidedModel::Predict(const Tensor& x, int64_t t, Tensor* pred) {
  if (guided_ && interval_.Contains(t)) {
    DDPM_RETURN_IF_ERROR(DoubleInto(x, &doubled_));
    DDPM_RETURN_IF_ERROR(model_(doubled_, t, guided_labels_, &guided_pred_));
    // ε = ε_u + w·(ε_c − ε_u): conditional rows first, unconditional second.
    DDPM_RETURN_IF_ERROR(ReuseTensor(pred, x.shape()));
    for (size_t k = 0; k < x.size(); ++k) {
      const float c = guided_pred_[k], u = guided_pred_[x.size() + k];
      (*pred)[k] = u + scale_ * (c - u);
    }
  } else {
    DDPM_RETURN_IF_ERROR(model_(x, t, labels_, pred));
  }
  if (pred->shape() != x.shape())
    return InvalidArgument("model output shape " + ShapeToString(pred->shape()) + " differs from the sample's " +
                           ShapeToString(x.shape()));
  return Status::Ok();
}

}  // namespace ddpm
