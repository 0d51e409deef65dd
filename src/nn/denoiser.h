// What the trainer needs from a model: parameters with gradients, a forward that caches for backward,
// and a backward that accumulates gradients. UNet2DModel (images, NCHW) and ToyMlp ([B, 2]) both fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "train/parameters.h"

namespace ddpm {

class TrainableDenoiser {
 public:
  virtual ~TrainableDenoiser() = default;

  virtual ParamList Parameters() = 0;
  virtual void ZeroGrad() = 0;
  // model(x_t, t[, class_labels]) for a batch (x_t's dim 0), caching what Backward needs.
  virtual Status ForwardTrain(const Tensor& x_t, const std::vector<float>& timesteps,
                              const std::vector<int64_t>& class_labels, Tensor* out, ThreadPool* pool) = 0;
  // Accumulates d loss / d parameters given d loss / d out of the last ForwardTrain.
  virtual Status Backward(const Tensor& dout, ThreadPool* pool) = 0;
  // d loss / d x_t of the last Backward (NCHW, x_t's shape), for models that compute it.
  virtual Status InputGradient(Tensor* dx) const {
    (void)dx;
    return Unsupported("this model does not compute d loss / d x_t");
  }
  // Writes the model folder (config.json + diffusion_pytorch_model.safetensors) with the current weights.
  virtual Status SaveModel(const std::string& dir) const = 0;
};

}  // namespace ddpm
