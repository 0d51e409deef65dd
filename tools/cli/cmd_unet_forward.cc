// ddpm unet-forward: one UNet call on the tensors of a safetensors file, with the keys of
// shared/reference/*/io.safetensors: input.sample (F32 NCHW), input.timestep (I64 [B] or [1]),
// optional input.class_labels (I64 [B]) -> output.sample (F32 NCHW).
#include <cstdio>
#include <string>

#include "base/thread_pool.h"
#include "cli_common.h"
#include "commands.h"
#include "io/safetensors.h"

namespace ddpm::cli {
namespace {

class UNetForwardCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("unet-forward", "Run the UNet once on input.* tensors, write output.sample");
    sub->add_option("--model", model_, "diffusers UNet folder or pipeline folder")->required();
    sub->add_option("--input", input_, "safetensors with input.sample, input.timestep[, input.class_labels]")
        ->required();
    sub->add_option("--output", output_, "safetensors to write output.sample to")->required();
    AddThreadsOption(sub, &threads_);
    sub->add_option("--backend", backend_, "conv backend: auto, ddpm, xnnpack (native builds with XNNPACK)")->default_val("auto");
    return sub;
  }

  int Run() override {
    Status st = RunOrError();
    return st.ok() ? 0 : Fail("unet-forward", st);
  }

 private:
  Status RunOrError() {
    DDPM_RETURN_IF_ERROR(SelectBackend(backend_));
    DDPM_ASSIGN_OR_RETURN(SafeTensors in, SafeTensors::ReadFile(input_));
    DDPM_ASSIGN_OR_RETURN(Tensor sample, in.GetFloat("input.sample"));
    DDPM_ASSIGN_OR_RETURN(std::vector<int64_t> timesteps, in.GetInt("input.timestep"));
    std::vector<int64_t> labels;
    if (in.Has("input.class_labels")) {
      DDPM_ASSIGN_OR_RETURN(labels, in.GetInt("input.class_labels"));
    }
    DDPM_ASSIGN_OR_RETURN(auto model, nn::UNet2DModel::FromPretrained(model_));
    ThreadPool pool(ResolveThreads(threads_));
    auto out = model->Forward(sample, timesteps, labels, &pool);
    if (!out.ok()) return out.status().WithContext(input_);
    SafeTensorsWriter w;
    w.SetMetadata("format", "pt");
    w.AddFloat("output.sample", *out);
    return w.WriteFile(output_);
  }

  std::string model_, input_, output_, backend_;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeUNetForwardCommand() { return std::make_unique<UNetForwardCommand>(); }

}  // namespace ddpm::cli
