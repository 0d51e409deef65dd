// diffusers' UNet2DModel (v0.31.0) for inference, the inference executor of UNetStructure
// (nn/unet_structure.h: the layers and their wiring, shared with train::UNet2DTrainable): built from
// config.json, weights from diffusion_pytorch_model.safetensors under diffusers' key names, conv weights
// packed once at load.
// Activations are NHWC in an arena planned per (batch, height, width, threads) and reused, so repeated
// forward passes of one size allocate nothing. The API takes and returns NCHW tensors, like PyTorch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/arena.h"
#include "nn/attention_block.h"
#include "nn/layers.h"
#include "nn/resnet_block.h"
#include "nn/unet_config.h"
#include "nn/unet_structure.h"

namespace ddpm::nn {

class UNet2DModel {
 public:
  // config: parsed config.json; weights: the safetensors file (F32/F16/BF16). Every stored key must be
  // used, and every needed key present with its exact shape and finite values.
  static Expected<std::unique_ptr<UNet2DModel>> Create(const JsonConfig& config, const SafeTensors& weights);
  // A UNet folder (config.json + diffusion_pytorch_model.safetensors) or a pipeline folder (its unet/).
  static Expected<std::unique_ptr<UNet2DModel>> FromPretrained(const std::string& dir);

  const UNet2DConfig& config() const { return structure_.config; }
  const UNetStructure& structure() const { return structure_; }
  int64_t num_parameters() const { return num_parameters_; }
  // Multiply-adds counted as 2 FLOPs, for one image of height x width.
  double FlopsPerImage(int height, int width) const;

  // sample NCHW [B, in_channels, H, W]; timesteps: one per sample, or one for all (broadcast, as
  // diffusers does with a Python int); class_labels: one per sample (or one for all), required iff the
  // model has num_class_embeds. Returns the predicted NCHW [B, out_channels, H, W].
  Expected<Tensor> Forward(const Tensor& sample, const std::vector<int64_t>& timesteps,
                           const std::vector<int64_t>& class_labels = {}, ThreadPool* pool = nullptr);
  Expected<Tensor> Forward(const Tensor& sample, float timestep, const std::vector<int64_t>& class_labels = {},
                           ThreadPool* pool = nullptr);
  // The general form: float timesteps (diffusers casts them to float32 for the embedding), output
  // written into *out (reused without allocating when it already has the right shape).
  Status ForwardInto(const Tensor& sample, const std::vector<float>& timesteps,
                     const std::vector<int64_t>& class_labels, Tensor* out, ThreadPool* pool = nullptr);

  // Plans and allocates the arena for this size ahead of the first forward (optional).
  Status Prepare(int batch, int height, int width, ThreadPool* pool = nullptr);
  // The arena of unsplit forward passes (a pool of T > 1 threads splits a batch of B >= 2T, or of a
  // multiple of T, into T sub-batches run side by side, each with an arena of its own).
  const Arena& arena() const { return main_.arena; }

  // Sees every named intermediate of later forward passes (tests, debugging); empty to remove.
  void set_hook(ActivationHook hook) { hook_ = std::move(hook); }

 private:
  // The layers of one UNetStructure block.
  struct Block {
    std::vector<ResnetBlock> resnets;
    std::vector<AttentionBlock> attentions;
    kernels::PackedConv2d sampler;  // when the block has one
  };
  // Arena regions (float offsets) for one planned size.
  struct Plan {
    int batch = 0, height = 0, width = 0, threads = 0;
    size_t input = 0, time_proj = 0, temb_hidden = 0, emb = 0, emb_act = 0, temb_all = 0;
    std::vector<size_t> skips;
    size_t cur = 0, spare = 0, cat = 0, norm = 0, tmp = 0, qkv = 0, scratch = 0;
  };

  // A plan and the arena it carves: one for whole-batch passes, one per thread for split batches.
  struct Lane {
    Plan plan;
    Arena arena;
  };

  UNet2DModel() = default;
  Status Build(WeightLoader& wl);
  Status PrepareLane(int batch, int height, int width, int threads, Lane& lane);
  // The forward pass over b images (NCHW in and out, timesteps/labels: nt/nl entries, 1 = broadcast).
  Status ForwardLane(const float* sample, int b, int height, int width, const float* timesteps, size_t nt,
                     const int64_t* labels, size_t nl, float* out, ThreadPool* pool, Lane& lane);
  static Dims LevelDims(int height, int width, int level) { return UNetStructure::LevelDims(height, width, level); }
  void TimeEmbedding(const RunContext& ctx, const float* timesteps, size_t nt, const int64_t* labels, size_t nl,
                     Lane& lane);

  // Calls f(conv, input level, input channels) for every conv in execution order, and
  // g(attention, level) for every attention layer: the walk planning and FLOP counting share.
  template <typename F, typename G>
  void Walk(F&& f, G&& g) const;

  UNetStructure structure_;
  int64_t num_parameters_ = 0;
  int time_embed_dim_ = 0;
  kernels::PackedConv2d linear_1_, linear_2_;  // time_embedding
  std::vector<float> class_table_;             // [num_class_embeds, time_embed_dim]
  kernels::PackedConv2d temb_proj_;            // every resnet's time_emb_proj, stacked
  kernels::PackedConv2d conv_in_, conv_out_;
  std::vector<Block> blocks_;  // one per structure_.blocks entry
  GroupNormLayer conv_norm_out_;

  Lane main_;
  std::vector<Lane> lanes_;            // split batches
  std::vector<Status> lane_status_;   // their results (kept: a forward allocates nothing)
  ActivationHook hook_;
};

}  // namespace ddpm::nn
