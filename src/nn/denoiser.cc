#include "nn/denoiser.h"

#include "io/file_util.h"

namespace ddpm {

Status TrainableDenoiser::SaveModel(const std::string& dir) const {
  DDPM_ASSIGN_OR_RETURN(ModelFiles files, SerializeModel());
  DDPM_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "config.json"), files.config_json.data(), files.config_json.size()));
  return WriteFileAtomic(JoinPath(dir, "diffusion_pytorch_model.safetensors"), files.weights.data(), files.weights.size());
}

}  // namespace ddpm
