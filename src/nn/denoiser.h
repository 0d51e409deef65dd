// What the trainer needs from a model: parameters with gradients, a forward that caches for backward,
// and a backward that accumulates gradients. UNet2DModel (images, NCHW) and ToyMlp ([B, 2]) both fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "nn/parameters.h"

namespace ddpm {

// A model folder's two files, in memory (the JS API returns them; SaveModel writes them).
struct ModelFiles {
  std::string config_json;       // config.json
  std::vector<uint8_t> weights;  // diffusion_pytorch_model.safetensors
};

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
  // The model folder's files with the current weights.
  virtual Expected<ModelFiles> SerializeModel() const = 0;
  // Writes them into `dir` (config.json + diffusion_pytorch_model.safetensors, each atomically).
  Status SaveModel(const std::string& dir) const;
};

}  // namespace ddpm
