#include "train/pipeline_export.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "io/safetensors_convert.h"

namespace ddpm {
namespace {

std::vector<uint8_t> Bytes(const std::string& text) { return {text.begin(), text.end()}; }

// Adds null_class_index at the end of config.json. diffusers ignores keys it does not know, so the
// folder still loads there; `ddpm sample` and the JS API read it to offer guidance.
Expected<std::string> WithNullClass(const std::string& config_json, int64_t null_class) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(config_json, nullptr, false);
  if (j.is_discarded()) return ParseError("unet/config.json: not valid JSON");
  j["null_class_index"] = null_class;
  return j.dump(2) + "\n";
}

}  // namespace

Expected<PipelineFiles> ExportPipeline(Trainer& trainer, const PipelineExportOptions& o) {
  const nlohmann::ordered_json index = {{"_class_name", "DDPMPipeline"},
                                        {"_diffusers_version", "0.31.0"},
                                        {"scheduler", {"diffusers", "DDPMScheduler"}},
                                        {"unet", {o.library, o.class_name}}};
  trainer.SwapEmaIntoModel();
  Expected<ModelFiles> model = trainer.model()->SerializeModel();
  trainer.SwapEmaIntoModel();
  if (!model.ok()) return model.status();
  std::string config = std::move(model->config_json);
  if (o.null_class >= 0) {
    DDPM_ASSIGN_OR_RETURN(config, WithNullClass(config, o.null_class));
  }

  if (o.weights_dtype != DType::kF32) {
    DDPM_ASSIGN_OR_RETURN(SafeTensors f32, SafeTensors::FromBytes(std::move(model->weights), "the trained weights"));
    DDPM_ASSIGN_OR_RETURN(ConvertedTensors converted, ConvertFloatTensors(f32, o.weights_dtype));
    model->weights = std::move(converted.bytes);
  }

  PipelineFiles files;
  files.emplace_back("model_index.json", Bytes(index.dump(2) + "\n"));
  files.emplace_back("scheduler/scheduler_config.json", Bytes(trainer.noise_scheduler().config().ToJson().dump(2) + "\n"));
  files.emplace_back("unet/config.json", Bytes(config));
  files.emplace_back("unet/diffusion_pytorch_model.safetensors", std::move(model->weights));
  return files;
}

Status WritePipelineFiles(const std::string& dir, const PipelineFiles& files) {
  for (const auto& [name, bytes] : files) {
    const std::string path = JoinPath(dir, name);
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return IoError(parent.string() + ": cannot create (" + ec.message() + ")");
    DDPM_RETURN_IF_ERROR(WriteFileAtomic(path, bytes.data(), bytes.size()));
  }
  return Status::Ok();
}

}  // namespace ddpm
