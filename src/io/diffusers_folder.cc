#include "io/diffusers_folder.h"

#include "io/file_util.h"
#include "io/json_config.h"

namespace ddpm {

namespace {

Status FindUNetFiles(const std::string& dir, DiffusersFolder* f) {
  f->unet_config = JoinPath(dir, "config.json");
  if (!FileExists(f->unet_config)) return NotFound(dir + ": no config.json (not a diffusers UNet folder)");
  for (const char* name : {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"}) {
    const std::string p = JoinPath(dir, name);
    if (FileExists(p)) {
      f->unet_weights = p;
      return Status::Ok();
    }
  }
  if (FileExists(JoinPath(dir, "diffusion_pytorch_model.bin"))) {
    return Unsupported(dir + ": only diffusion_pytorch_model.bin (pickle) found; convert it to safetensors");
  }
  return NotFound(dir + ": no diffusion_pytorch_model.safetensors");
}

}  // namespace

Expected<DiffusersFolder> ResolveDiffusersFolder(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFound(dir + ": not a directory");
  DiffusersFolder f;
  f.root = dir;
  const std::string index = JoinPath(dir, "model_index.json");
  if (!FileExists(index)) {
    DDPM_RETURN_IF_ERROR(FindUNetFiles(dir, &f));
    return f;
  }
  f.is_pipeline = true;
  DDPM_ASSIGN_OR_RETURN(JsonConfig mi, JsonConfig::ReadFile(index));
  DDPM_RETURN_IF_ERROR(mi.GetString("_class_name", &f.pipeline_class));
  if (mi.raw().contains("unet") && !mi.raw()["unet"].is_array()) {
    return mi.Error("unet", "must be a [library, class] pair");
  }
  DDPM_RETURN_IF_ERROR(FindUNetFiles(JoinPath(dir, "unet"), &f));
  const std::string sched = JoinPath(JoinPath(dir, "scheduler"), "scheduler_config.json");
  if (FileExists(sched)) f.scheduler_config = sched;
  return f;
}

Expected<UNetFiles> ReadUNetFiles(const std::string& dir) {
  DDPM_ASSIGN_OR_RETURN(DiffusersFolder folder, ResolveDiffusersFolder(dir));
  DDPM_ASSIGN_OR_RETURN(JsonConfig config, JsonConfig::ReadFile(folder.unet_config));
  DDPM_ASSIGN_OR_RETURN(SafeTensors weights, SafeTensors::ReadFile(folder.unet_weights));
  return UNetFiles{std::move(config), std::move(weights)};
}

}  // namespace ddpm
