// ExportPipeline: the pipeline folder `ddpm train` writes and the JS Trainer.exportPipeline() returns.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "nn/train/unet2d_trainable.h"
#include "nn/unet2d_model.h"
#include "support/reference.h"
#include "train/pipeline_export.h"

using namespace ddpm;

namespace {

std::string Text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

const std::vector<uint8_t>* Find(const PipelineFiles& files, const std::string& name) {
  for (const auto& [n, bytes] : files)
    if (n == name) return &bytes;
  return nullptr;
}

}  // namespace

TEST_CASE("ExportPipeline: EMA weights, the schedule and null_class_index, loadable in memory and on disk",
          "[train][export]") {
  auto model = nn::train::UNet2DTrainable::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(model.ok());
  TrainOptions o;
  o.ema.decay = 0.5;  // the EMA then differs visibly from the weights after a step
  Trainer trainer(model->get(), DDPMScheduler::FromJson(R"({"beta_schedule": "scaled_linear"})").value(), o, nullptr);
  Tensor x0({2, 1, 32, 32});
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = float(i % 7) / 7.0f - 0.5f;
  REQUIRE(trainer.Step(x0, {1, 2}).ok());
  REQUIRE(trainer.Step(x0, {1, 2}).ok());

  auto files = ExportPipeline(trainer, {.null_class = 9});
  REQUIRE(files.ok());
  std::vector<std::string> names;
  for (const auto& f : *files) names.push_back(f.first);
  CHECK(names == std::vector<std::string>{"model_index.json", "scheduler/scheduler_config.json", "unet/config.json",
                                          "unet/diffusion_pytorch_model.safetensors"});
  const auto index = nlohmann::json::parse(Text(*Find(*files, "model_index.json")));
  CHECK(index["_class_name"] == "DDPMPipeline");
  CHECK(index["unet"] == nlohmann::json::array({"diffusers", "UNet2DModel"}));
  CHECK(nlohmann::json::parse(Text(*Find(*files, "scheduler/scheduler_config.json")))["beta_schedule"] == "scaled_linear");
  const auto config = nlohmann::json::parse(Text(*Find(*files, "unet/config.json")));
  CHECK(config["null_class_index"] == 9);
  CHECK(config["num_class_embeds"] == 10);

  // The weights are the EMA's (not the model's), under diffusers' keys, and the model is left as it was.
  auto st = SafeTensors::FromBytes(*Find(*files, "unet/diffusion_pytorch_model.safetensors"));
  REQUIRE(st.ok());
  const ParamList params = (*model)->Parameters();
  REQUIRE(st->tensors().size() == params.size());
  size_t differs = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    auto t = st->GetFloat(params[i].name);
    REQUIRE(t.ok());
    CHECK(t->shape() == params[i].shape);
    CHECK(std::memcmp(t->data(), trainer.ema()->shadow()[i].data(), t->size() * sizeof(float)) == 0);
    differs += std::memcmp(t->data(), params[i].value, t->size() * sizeof(float)) != 0;
  }
  CHECK(differs > params.size() / 2);

  const auto dir = std::filesystem::temp_directory_path() / ("ddpm_export_" + std::to_string(::getpid()));
  REQUIRE(WritePipelineFiles(dir.string(), *files).ok());
  auto loaded = nn::UNet2DModel::FromPretrained(dir.string());
  INFO(loaded.status().message());
  CHECK(loaded.ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("ExportPipeline with weights_dtype F16: the same EMA weights rounded to F16, half the bytes", "[train][export]") {
  auto model = nn::train::UNet2DTrainable::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(model.ok());
  Trainer trainer(model->get(), DDPMScheduler::FromJson("{}").value(), TrainOptions{}, nullptr);
  auto f32 = ExportPipeline(trainer, {});
  auto f16 = ExportPipeline(trainer, {.weights_dtype = DType::kF16});
  REQUIRE(f32.ok());
  REQUIRE(f16.ok());
  const auto* a = Find(*f32, "unet/diffusion_pytorch_model.safetensors");
  const auto* b = Find(*f16, "unet/diffusion_pytorch_model.safetensors");
  CHECK(double(b->size()) < 0.55 * double(a->size()));
  auto wa = SafeTensors::FromBytes(*a);
  auto wb = SafeTensors::FromBytes(*b);
  REQUIRE(wa.ok());
  REQUIRE(wb.ok());
  REQUIRE(wa->tensors().size() == wb->tensors().size());
  for (size_t i = 0; i < wa->tensors().size(); ++i) {
    const TensorInfo& t = wb->tensors()[i];
    INFO(t.name);
    CHECK(t.name == wa->tensors()[i].name);
    CHECK(t.dtype == DType::kF16);
    auto va = wa->GetFloat(t.name);
    auto vb = wb->GetFloat(t.name);
    REQUIRE(va.ok());
    REQUIRE(vb.ok());
    // F16 keeps 11 significant bits: round to nearest is within 2^-11 relative (above F16's normal range, 6.1e-5).
    for (size_t k = 0; k < va->size(); ++k) {
      CHECK(std::fabs((*vb)[k] - (*va)[k]) <= std::max(std::fabs((*va)[k]) * 0x1p-11f, 6.0e-8f));
    }
  }
}
