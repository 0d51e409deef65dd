// ddpm convert: a copy of a model folder with its UNet weights stored in another float type, e.g. F16 to halve
// what a browser downloads. The copy keeps the layout (a pipeline stays a pipeline: model_index.json,
// sampling_defaults.json, scheduler/, unet/), the tensor names and the metadata, under diffusers' standard
// file name (diffusers reads F16 tensors there and casts them to the model's dtype). It refuses what would lose
// more than rounding: a value outside the target type's range. Every file is written atomically.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "io/diffusers_folder.h"
#include "io/file_util.h"
#include "io/safetensors.h"
#include "io/safetensors_convert.h"

namespace ddpm::cli {
namespace {

namespace fs = std::filesystem;

Status CopyFile(const std::string& from, const std::string& to) {
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(from));
  return WriteFileAtomic(to, bytes.data(), bytes.size());
}

class ConvertCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("convert", "Copy a model folder with its weights in another float type (e.g. f16)");
    sub->add_option("--model", model_, "a UNet or pipeline folder")->required();
    sub->add_option("--out", out_, "the folder to write (created; its model files are replaced)")->required();
    sub->add_option("--dtype", dtype_, "f16, bf16 or f32")->capture_default_str();
    return sub;
  }

  int Run() override {
    if (Status st = Convert(); !st.ok()) return Fail("convert", st);
    return 0;
  }

 private:
  Status Convert() {
    DDPM_ASSIGN_OR_RETURN(DType dtype, ParseFloatDType(dtype_, "--dtype"));
    DDPM_ASSIGN_OR_RETURN(DiffusersFolder from, ResolveDiffusersFolder(model_));
    std::error_code ec;
    if (fs::exists(out_, ec) && fs::equivalent(out_, model_, ec))
      return InvalidArgument("--out must be another folder than --model (" + out_ + ")");
    DDPM_ASSIGN_OR_RETURN(SafeTensors weights, SafeTensors::ReadFile(from.unet_weights));
    Expected<ConvertedTensors> converted = ConvertFloatTensors(weights, dtype);
    if (!converted.ok()) return InvalidArgument(converted.status().message() + "; nothing was written");

    // The folder's layout, then the files: the weights last, so a folder with them is complete.
    const std::string unet_dir = from.is_pipeline ? JoinPath(out_, "unet") : out_;
    fs::create_directories(unet_dir, ec);
    if (ec) return IoError(unet_dir + ": cannot create (" + ec.message() + ")");
    if (from.is_pipeline) {
      DDPM_RETURN_IF_ERROR(CopyFile(JoinPath(from.root, "model_index.json"), JoinPath(out_, "model_index.json")));
      const std::string defaults = JoinPath(from.root, "sampling_defaults.json");
      if (FileExists(defaults)) DDPM_RETURN_IF_ERROR(CopyFile(defaults, JoinPath(out_, "sampling_defaults.json")));
      if (!from.scheduler_config.empty()) {
        fs::create_directories(JoinPath(out_, "scheduler"), ec);
        if (ec) return IoError(JoinPath(out_, "scheduler") + ": cannot create (" + ec.message() + ")");
        DDPM_RETURN_IF_ERROR(CopyFile(from.scheduler_config, JoinPath(JoinPath(out_, "scheduler"), "scheduler_config.json")));
      }
    }
    DDPM_RETURN_IF_ERROR(CopyFile(from.unet_config, JoinPath(unet_dir, "config.json")));
    const std::string weights_path = JoinPath(unet_dir, "diffusion_pytorch_model.safetensors");
    DDPM_RETURN_IF_ERROR(WriteFileAtomic(weights_path, converted->bytes.data(), converted->bytes.size()));
    std::fprintf(stderr, "wrote %s: %zu tensors in %s, %.1f MB (largest change %.3g)\n", weights_path.c_str(),
                 converted->tensors, DTypeName(dtype), converted->bytes.size() / 1e6, converted->largest_change);
    return Status::Ok();
  }

  std::string model_, out_, dtype_ = "f16";
};

}  // namespace

std::unique_ptr<Command> MakeConvertCommand() { return std::make_unique<ConvertCommand>(); }

}  // namespace ddpm::cli
