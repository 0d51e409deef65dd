// The denoiser for toy 2-D data (swiss roll, moons, 8 gaussians): an MLP on [x, emb(t)] with SiLU,
// predicting ε. Forward caches what Backward needs; Backward accumulates parameter gradients.
// Saved as a diffusers-style folder: config.json (_class_name "ToyMLPDenoiser") + safetensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/denoiser.h"
#include "nn/parameters.h"

namespace ddpm {

struct ToyMlpConfig {
  int data_dim = 2;
  int hidden = 128;
  int num_hidden_layers = 3;  // Linear+SiLU blocks after the input layer
  int time_embed_dim = 32;

  static Expected<ToyMlpConfig> FromJson(const JsonConfig& c);
  std::string ToJson() const;
};

class ToyMlp : public TrainableDenoiser {
 public:
  // Random init as torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.
  static ToyMlp Create(const ToyMlpConfig& config, uint64_t seed);
  // Loads config.json + diffusion_pytorch_model.safetensors from a folder.
  static Expected<ToyMlp> Load(const std::string& dir);
  // The same from a parsed config.json and safetensors already in memory (the JS API's fromFiles).
  static Expected<ToyMlp> FromFiles(const JsonConfig& config, const SafeTensors& weights);

  // TrainableDenoiser: x_t is [batch, data_dim].
  ParamList Parameters() override;
  void ZeroGrad() override;
  Status ForwardTrain(const Tensor& x_t, const std::vector<float>& timesteps, const std::vector<int64_t>& class_labels,
                      Tensor* out, ThreadPool* pool) override;
  Status Backward(const Tensor& dout, ThreadPool* pool) override;
  Expected<ModelFiles> SerializeModel() const override;

  const ToyMlpConfig& config() const { return config_; }

  // x [batch, data_dim], one timestep per row -> out [batch, data_dim]. Caches activations for Backward.
  void Forward(const float* x, const float* timesteps, int batch, float* out, ThreadPool* pool);
  // Given d loss / d out of the last Forward, accumulates into the parameter gradients.
  void Backward(const float* dout, ThreadPool* pool);

 private:
  struct Layer {
    int in = 0, out = 0;
    std::vector<float> w, b, dw, db;
  };
  explicit ToyMlp(const ToyMlpConfig& c);
  float* Scratch(size_t floats);

  ToyMlpConfig config_;
  std::vector<Layer> layers_;
  // Cached for Backward: inputs of each layer (acts_[i]) and pre-activations (pre_[i]).
  int batch_ = 0;
  std::vector<std::vector<float>> acts_, pre_;
  std::vector<float> scratch_, grad_a_, grad_b_;
};

}  // namespace ddpm
