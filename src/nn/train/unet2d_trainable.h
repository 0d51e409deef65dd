// diffusers' UNet2DModel as a TrainableDenoiser, the training executor of UNetStructure
// (nn/unet_structure.h: the layers and their wiring, shared with the inference UNet2DModel): the same
// config.json and safetensors keys, parameters listed under their state_dict names in diffusers'
// registration order, explicit forward/backward per layer (src/nn/train/), and d loss / d x_t.
// Activations are NHWC inside; the API is NCHW, like PyTorch. Dropout is not implemented (config
// dropout must be 0, which is diffusers' default).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/denoiser.h"
#include "nn/unet_config.h"
#include "nn/unet_structure.h"
#include "nn/train/attention_block_train.h"
#include "nn/train/layers_train.h"
#include "nn/train/resnet_train.h"

namespace ddpm::nn::train {

// Bytes held by a training step, for reports.
struct TrainMemory {
  size_t parameters = 0;  // values + gradients
  size_t saved = 0;       // activations kept from the forward for the backward
  size_t gradients = 0;   // activation gradients of skips and the hidden state
  size_t workspace = 0;   // per-layer work buffers and kernel scratch
  size_t activations_total() const { return saved + gradients + workspace; }
};

class UNet2DTrainable : public TrainableDenoiser {
 public:
  static Expected<std::unique_ptr<UNet2DTrainable>> Create(const JsonConfig& config, const SafeTensors& weights);
  // A UNet folder or a pipeline folder (its unet/).
  static Expected<std::unique_ptr<UNet2DTrainable>> FromPretrained(const std::string& dir);
  // Fresh weights for training from scratch, as torch initialises the modules: conv and linear
  // weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), GroupNorm 1 and 0, embeddings N(0, 1).
  static Expected<std::unique_ptr<UNet2DTrainable>> FromConfig(const JsonConfig& config, uint64_t seed);

  // TrainableDenoiser. x_t is NCHW [B, in_channels, H, W]; timesteps and class labels one per sample
  // (or one for all).
  ParamList Parameters() override { return ps_.List(); }
  void ZeroGrad() override { ps_.ZeroGrad(); }
  Status ForwardTrain(const Tensor& x_t, const std::vector<float>& timesteps, const std::vector<int64_t>& class_labels,
                      Tensor* out, ThreadPool* pool) override;
  Status Backward(const Tensor& dout, ThreadPool* pool) override;
  Expected<ModelFiles> SerializeModel() const override;
  Status InputGradient(Tensor* dx) const override;

  const UNet2DConfig& config() const { return structure_.config; }
  int64_t num_parameters() const;
  TrainMemory memory() const;
  // Multiply-adds (x2) of one forward pass for one image: the backward costs about twice that.
  double ForwardFlopsPerImage(int height, int width) const;

 private:
  // The layers of one UNetStructure block, and what its forward saved for the backward.
  struct Block {
    std::vector<ResnetTrain> resnets;
    std::vector<AttentionTrain> attentions;
    ConvLayer sampler;  // when the block has one
    Tensor sampler_out;
    // The hidden state each resnet (then the sampler) read, before any concatenation, and the skip
    // that hidden state is (-1: none): its gradient then goes straight into that skip's.
    std::vector<const float*> resnet_in;
    std::vector<int> resnet_in_skip;
    const float* sampler_in = nullptr;
    int sampler_in_skip = -1;
  };

  UNet2DTrainable() = default;
  void Register();
  // One forward / backward over a (sub-)batch on this object's own saved state.
  Status ForwardLane(const Tensor& x_t, const std::vector<float>& timesteps, const std::vector<int64_t>& class_labels,
                     Tensor* out, ThreadPool* pool);
  Status BackwardLane(const Tensor& dout, ThreadPool* pool);
  // Lane 0 is this model; lanes 1.. are replicas sharing its weights with gradients of their own.
  UNet2DTrainable& Lane(int t);
  Status EnsureReplicas(int lanes);
  Status PackAll();
  Dims LevelDims(int level) const { return {height_ >> level, width_ >> level}; }

  UNetStructure structure_;
  int ted_ = 0;
  ParamStore ps_;
  Workspace ws_;
  ConvLayer conv_in_, conv_out_;
  LinearLayer linear_1_, linear_2_;
  bool has_class_ = false;
  Param class_table_;
  std::vector<Block> blocks_;  // one per structure_.blocks entry
  GroupNormLayerT conv_norm_out_;

  // Saved by ForwardTrain.
  int batch_ = 0, height_ = 0, width_ = 0;
  bool have_forward_ = false, have_backward_ = false;
  std::vector<int64_t> labels_;
  Tensor x_in_, tp_, th_, ta_, emb_, emb_act_, conv_in_out_;
  std::vector<const float*> skips_;
  const float* h_last_ = nullptr;
  std::vector<float> mean_out_, rstd_out_;
  // Backward state.
  std::vector<Tensor> dskips_;
  Tensor dh_[2], d_temb_act_, dinput_;
  // Data-parallel lanes of the last ForwardTrain (1 = this object alone), their replicas and buffers.
  int lanes_ = 1, lanes_batch_ = 0;
  std::vector<std::unique_ptr<UNet2DTrainable>> replicas_;
  std::vector<Status> lane_status_;
  std::vector<Tensor> lane_in_, lane_out_;
  std::vector<std::vector<float>> lane_ts_;
  std::vector<std::vector<int64_t>> lane_labels_;
  Tensor dinput_all_;
};

}  // namespace ddpm::nn::train
