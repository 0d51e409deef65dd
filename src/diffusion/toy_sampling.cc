#include "diffusion/toy_sampling.h"

#include <memory>
#include <vector>

#include "diffusion/unet_sampling.h"

namespace ddpm {

NoisePredictor ToyNoisePredictor(ToyMlp* model, ThreadPool* pool) {
  // Kept between calls so that a step allocates nothing once the batch size is known.
  auto timesteps = std::make_shared<std::vector<float>>();
  return [model, pool, timesteps](const Tensor& x, int64_t t, const std::vector<int64_t>&, Tensor* out) -> Status {
    timesteps->assign(static_cast<size_t>(x.dim(0)), static_cast<float>(t));
    DDPM_RETURN_IF_ERROR(ReuseTensor(out, x.shape(), "the toy prediction"));
    model->Forward(x.data(), timesteps->data(), static_cast<int>(x.dim(0)), out->data(), pool);
    return Status::Ok();
  };
}

Expected<Tensor> SampleToy(ToyMlp* model, const JsonConfig& scheduler_config, const SampleOptions& options,
                           ThreadPool* pool) {
  // The toy MLP has no classes: the shared check refuses labels and guidance alike.
  DDPM_RETURN_IF_ERROR(CheckSampleLabels({}, options.class_labels, options.guidance_scale));
  const int64_t dim = model->config().data_dim;
  DDPM_ASSIGN_OR_RETURN(Tensor points, Sample(ToyNoisePredictor(model, pool), Shape{dim, 1, 1}, scheduler_config, options));
  return points.Reshaped({points.dim(0), dim});
}

}  // namespace ddpm
