// Sampling with the toy 2-D MLP (src/nn/toy_mlp.h): the glue `ddpm sample` and the JS ToyMLPDenoiser
// share. Points go through Sample() as [N, data_dim, 1, 1] "images"; the result is [N, data_dim].
#pragma once

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "diffusion/pipeline.h"
#include "io/json_config.h"
#include "nn/toy_mlp.h"

namespace ddpm {

// The MLP as Sample()'s model: every point of the batch at the same timestep.
NoisePredictor ToyNoisePredictor(ToyMlp* model, ThreadPool* pool);

// Sample() with the toy MLP: no classes (labels and guidance are refused, as for an unconditional
// UNet), N(0, I) start points from the seeded stream. Returns [num_images, data_dim].
Expected<Tensor> SampleToy(ToyMlp* model, const JsonConfig& scheduler_config, const SampleOptions& options,
                           ThreadPool* pool);

}  // namespace ddpm
