#include "cli_unet.h"

#include "cli_common.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "io/diffusers_folder.h"
#include "io/file_util.h"
#include "io/image_fit.h"
#include "io/image_grid.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "nn/denoiser_factory.h"

namespace ddpm::cli {

Expected<FolderModel> LoadFolderModel(const std::string& path) {
  FolderModel m;
  DDPM_ASSIGN_OR_RETURN(m.folder, ResolveDiffusersFolder(path));
  DDPM_ASSIGN_OR_RETURN(JsonConfig cfg, JsonConfig::ReadFile(m.folder.unet_config));
  DDPM_ASSIGN_OR_RETURN(SafeTensors weights, SafeTensors::ReadFile(m.folder.unet_weights));
  DDPM_ASSIGN_OR_RETURN(LoadedDenoiser model, LoadDenoiser(cfg, weights));
  m.unet = std::move(model.unet);
  m.toy = std::move(model.toy);
  if (m.unet) {
    DDPM_ASSIGN_OR_RETURN(m.classes, ReadUNetClasses(cfg));
  }
  return m;
}

Expected<UNetPipeline> LoadUNetPipeline(const std::string& path) {
  DDPM_ASSIGN_OR_RETURN(FolderModel m, LoadFolderModel(path));
  if (m.toy) return InvalidArgument(path + " is a toy 2-D model: editing needs a UNet2DModel");
  UNetPipeline p;
  p.unet = std::move(m.unet);
  p.classes = m.classes;
  if (p.unet->config().sample_height <= 0)
    return InvalidArgument("the UNet config has no sample_size: the image size is unknown");
  if (!m.folder.scheduler_config.empty()) {
    DDPM_ASSIGN_OR_RETURN(p.scheduler_config, JsonConfig::ReadFile(m.folder.scheduler_config));
  }
  DDPM_ASSIGN_OR_RETURN(p.defaults, ReadSamplingDefaults(m.folder.root));
  return p;
}

void PrintNotes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
}

namespace {

// The fitting's note, if any, as "--image IN.png: resized ... (the model's size)".
void AddNote(const std::string& flag, const std::string& path, const std::string& note, std::vector<std::string>* notes) {
  if (!note.empty()) notes->push_back(flag + " " + path + ": " + note + " (the model's size)");
}

}  // namespace

Expected<Tensor> ReadModelImage(const std::string& path, const nn::UNet2DConfig& c, const std::string& flag,
                                std::vector<std::string>* notes) {
  const int channels = c.in_channels == 1 || c.in_channels == 3 ? int(c.in_channels) : 0;
  DDPM_ASSIGN_OR_RETURN(Tensor nhwc, ReadPng(path, channels));
  std::string note;
  DDPM_ASSIGN_OR_RETURN(Tensor x, FitModelImage(nhwc, c.in_channels, int(c.sample_height), int(c.sample_width), &note));
  AddNote(flag, path, note, notes);
  return x;
}

Expected<Tensor> ReadMaskImage(const std::string& path, const nn::UNet2DConfig& c, std::vector<std::string>* notes) {
  DDPM_ASSIGN_OR_RETURN(Tensor nhwc, ReadPng(path, 1));
  std::string note;
  DDPM_ASSIGN_OR_RETURN(Tensor m, FitMask(nhwc, int(c.sample_height), int(c.sample_width), &note));
  AddNote("--mask", path, note, notes);
  return m;
}

Status SetEditClass(const UNetPipeline& model, int64_t class_label, double guidance_scale, EditOptions* o) {
  if (class_label >= 0) o->class_labels = {class_label};
  o->guidance_scale = guidance_scale;
  return CheckEditClasses(model.classes, o);
}

StepCallback ProgressCallback(ProgressBar* bar) {
  return [bar](const StepProgress& p) {
    bar->Update(p.step);
    return true;
  };
}

Status WriteImagesOutput(const std::string& output, const Tensor& x) {
  if (OutputExtension(output) == ".png") {
    DDPM_ASSIGN_OR_RETURN(ImageU8 grid, MakeImageGrid(x, {.minus_one_to_one = true}));
    return WritePng(output, grid);
  }
  Tensor unit(x.shape());  // diffusers: (x / 2 + 0.5).clamp(0, 1)
  for (size_t i = 0; i < x.size(); ++i) unit[i] = std::min(1.0f, std::max(0.0f, x[i] / 2 + 0.5f));
  if (OutputExtension(output) == ".safetensors") {
    SafeTensorsWriter w;
    w.AddFloat("images", unit);
    return w.WriteFile(output);
  }
  std::error_code ec;
  std::filesystem::create_directories(output, ec);
  if (ec) return IoError(output + ": cannot create directory (" + ec.message() + ")");
  const int64_t n = x.dim(0), per = int64_t(x.size()) / n;
  for (int64_t i = 0; i < n; ++i) {
    Tensor one(Shape{1, x.dim(1), x.dim(2), x.dim(3)}, unit.data() + i * per);
    DDPM_ASSIGN_OR_RETURN(ImageU8 img, MakeImageGrid(one, {}));
    char name[32];
    std::snprintf(name, sizeof name, "%05lld.png", static_cast<long long>(i));
    DDPM_RETURN_IF_ERROR(WritePng(JoinPath(output, name), img));
  }
  return Status::Ok();
}

}  // namespace ddpm::cli
