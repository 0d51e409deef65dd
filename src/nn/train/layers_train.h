// Parameterised layers of the trainable UNet: each registers its tensors in a ParamStore under the
// diffusers key names and pairs Forward with Backward (inputs passed again).
// Conv and Linear run the inference kernels on weights packed once per step (Pack()), for the forward
// and for the input gradient.
//
// The gradient rule, for every Backward of src/nn/train: gradients are ADDED to what the buffers hold,
// parameter gradients (ParamStore::grad) and input gradients (dx) alike, so a tensor read by several
// layers (a skip, a residual, SiLU(emb)) collects its gradient without copies; callers zero a buffer
// before the first layer adds to it (Workspace::Zeroed).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "kernels/conv2d/conv2d.h"
#include "nn/train/conv2d_train.h"
#include "nn/train/group_norm_train.h"
#include "nn/train/param_store.h"
#include "nn/train/workspace.h"

namespace ddpm::nn::train {

// Resizes a saved activation only when its shape changes, so steady-state steps allocate nothing.
Status EnsureShape(Tensor* t, const Shape& shape, const std::string& what);

// What every layer call needs besides its tensors.
struct TrainContext {
  int batch = 1;
  ThreadPool* pool = nullptr;
  ParamStore* params = nullptr;
  Workspace* ws = nullptr;
  int threads() const { return pool ? pool->num_threads() : 1; }
};

struct ConvLayer {
  kernels::Conv2dParams p;
  Param w, b;
  kernels::PackedConv2d packed, packed_dx;  // the weight for the forward, and for dx (stride 1)

  void Register(ParamStore& ps, const std::string& prefix, const kernels::Conv2dParams& params);
  // Repacks the current weights (allocating only on the first step); fails when that allocation does.
  Status Pack(const ParamStore& ps);
  // y (+)= conv(x); x [B, h, w, cin]. Fails only when its scratch cannot be allocated (as every Forward and
  // Backward of src/nn/train).
  Status Forward(TrainContext& ctx, const float* x, int h, int w, float* y, bool accumulate = false);
  // dx (+=, may be null), dW, db (+=) given dy and the forward's x.
  Status Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, int h, int w);
  // The same for an explicit geometry (a Linear's batch is its rows, not the UNet's batch).
  Status Forward(TrainContext& ctx, const ConvGeom& g, const float* x, float* y, bool accumulate);
  Status Backward(TrainContext& ctx, const ConvGeom& g, float* dx, const float* dy, const float* x);
};

// A Linear layer is a 1x1 convolution over `rows` pixels (as the inference model runs it).
struct LinearLayer {
  int in = 0, out = 0;
  Param w, b;
  ConvLayer conv;

  // Registers prefix.weight [out, in] and prefix.bias [out].
  void Register(ParamStore& ps, const std::string& prefix, int in_features, int out_features);
  // The same over fused names (q, k, v): weights stacked along the output dimension in one matrix.
  void RegisterStacked(ParamStore& ps, const std::vector<std::string>& prefixes, int in_features, int out_each);
  Status Pack(const ParamStore& ps) { return conv.Pack(ps); }
  // y[rows, out] = x[rows, in]·Wᵀ + b (or += with accumulate).
  Status Forward(TrainContext& ctx, const float* x, size_t rows, float* y, bool accumulate = false);
  // dx[rows, in] += dy·W (skipped if null); dW, db +=.
  Status Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, size_t rows);
};

struct GroupNormLayerT {
  int channels = 0, groups = 1;
  float eps = 1e-5f;
  Param gamma, beta;

  void Register(ParamStore& ps, const std::string& prefix, int channels, int groups, double eps);
  GroupNormSpec Spec(int batch, int hw, bool silu) const;
};

}  // namespace ddpm::nn::train
