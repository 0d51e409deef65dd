// The denoiser factory (src/nn/denoiser_factory.h): one rule for what a config.json describes, and the
// same model from it as each class's own constructors build.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/denoiser_factory.h"
#include "nn/toy_mlp.h"
#include "nn/train/unet2d_trainable.h"

using namespace ddpm;
using Catch::Matchers::Contains;

namespace {

JsonConfig Config(const std::string& text) { return JsonConfig::Parse(text, "config.json").value(); }

const char* kUNetConfig = R"({
  "_class_name": "UNet2DModel", "sample_size": 8, "in_channels": 1, "out_channels": 1,
  "block_out_channels": [8, 16], "layers_per_block": 1, "norm_num_groups": 4,
  "down_block_types": ["DownBlock2D", "AttnDownBlock2D"], "up_block_types": ["AttnUpBlock2D", "UpBlock2D"],
  "num_class_embeds": 3, "null_class_index": 2
})";

// Every parameter's name, shape and values.
void CheckSameParameters(TrainableDenoiser& a, TrainableDenoiser& b) {
  const ParamList pa = a.Parameters(), pb = b.Parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].name);
    CHECK(pa[i].name == pb[i].name);
    CHECK(pa[i].shape == pb[i].shape);
    REQUIRE(pa[i].size == pb[i].size);
    CHECK(std::vector<float>(pa[i].value, pa[i].value + pa[i].size) ==
          std::vector<float>(pb[i].value, pb[i].value + pb[i].size));
  }
}

}  // namespace

TEST_CASE("ReadDenoiserKind: _class_name picks the class; absent is UNet2DModel; others are refused by name",
          "[nn][denoiser_factory]") {
  CHECK(ReadDenoiserKind(Config("{}")).value() == DenoiserKind::kUNet2DModel);
  CHECK(ReadDenoiserKind(Config(R"({"_class_name": null})")).value() == DenoiserKind::kUNet2DModel);
  CHECK(ReadDenoiserKind(Config(R"({"_class_name": "UNet2DModel"})")).value() == DenoiserKind::kUNet2DModel);
  CHECK(ReadDenoiserKind(Config(R"({"_class_name": "ToyMLPDenoiser"})")).value() == DenoiserKind::kToyMLPDenoiser);

  auto unknown = ReadDenoiserKind(Config(R"({"_class_name": "UNet2DConditionModel"})"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() ==
        "config.json: key '_class_name' value 'UNet2DConditionModel' must be one of UNet2DModel, ToyMLPDenoiser");
  auto not_a_string = ReadDenoiserKind(Config(R"({"_class_name": 3})"));
  REQUIRE_FALSE(not_a_string.ok());
  CHECK_THAT(not_a_string.status().message(), Contains("_class_name") && Contains("must be a string"));

  CHECK(std::string(DenoiserClassName(DenoiserKind::kUNet2DModel)) == "UNet2DModel");
  CHECK(std::string(DenoiserLibrary(DenoiserKind::kUNet2DModel)) == "diffusers");
  CHECK(std::string(DenoiserClassName(DenoiserKind::kToyMLPDenoiser)) == "ToyMLPDenoiser");
  CHECK(std::string(DenoiserLibrary(DenoiserKind::kToyMLPDenoiser)) == "ddpm_wasm");
}

TEST_CASE("MakeTrainableDenoiser builds what each class builds, fresh from a seed or from weights",
          "[nn][denoiser_factory]") {
  SECTION("the toy MLP") {
    ToyMlpConfig c;
    c.hidden = 16;
    c.num_hidden_layers = 1;
    const JsonConfig cfg = Config(c.ToJson());
    auto fresh = MakeTrainableDenoiser(cfg, nullptr, 5);
    REQUIRE(fresh.ok());
    ToyMlp want = ToyMlp::Create(c, 5);
    CheckSameParameters(**fresh, want);

    ModelFiles files = want.SerializeModel().value();
    SafeTensors st = SafeTensors::FromBytes(files.weights).value();
    auto loaded = MakeTrainableDenoiser(Config(files.config_json), &st, /*seed=*/99);
    REQUIRE(loaded.ok());
    CheckSameParameters(**loaded, want);

    auto inference = LoadDenoiser(Config(files.config_json), st);
    REQUIRE(inference.ok());
    CHECK(inference->kind == DenoiserKind::kToyMLPDenoiser);
    REQUIRE(inference->toy);
    CHECK_FALSE(inference->unet);
    CheckSameParameters(*inference->toy, want);
  }
  SECTION("a UNet2DModel") {
    const JsonConfig cfg = Config(kUNetConfig);
    auto fresh = MakeTrainableDenoiser(cfg, nullptr, 3);
    REQUIRE(fresh.ok());
    auto want = nn::train::UNet2DTrainable::FromConfig(cfg, 3);
    REQUIRE(want.ok());
    CheckSameParameters(**fresh, **want);

    ModelFiles files = (*want)->SerializeModel().value();
    SafeTensors st = SafeTensors::FromBytes(files.weights).value();
    auto loaded = MakeTrainableDenoiser(cfg, &st, /*seed=*/99);
    REQUIRE(loaded.ok());
    CheckSameParameters(**loaded, **want);

    auto inference = LoadDenoiser(cfg, st);
    REQUIRE(inference.ok());
    CHECK(inference->kind == DenoiserKind::kUNet2DModel);
    REQUIRE(inference->unet);
    CHECK_FALSE(inference->toy);
    CHECK(inference->unet->num_parameters() == (*want)->num_parameters());
  }
  SECTION("an unknown class is the kind's error, from every builder") {
    const JsonConfig cfg = Config(R"({"_class_name": "VQModel"})");
    auto trainable = MakeTrainableDenoiser(cfg, nullptr, 0);
    REQUIRE_FALSE(trainable.ok());
    CHECK_THAT(trainable.status().message(), Contains("'VQModel' must be one of UNet2DModel, ToyMLPDenoiser"));
    SafeTensors toy_weights = SafeTensors::FromBytes(ToyMlp::Create({}, 0).SerializeModel().value().weights).value();
    auto inference = LoadDenoiser(cfg, toy_weights);
    REQUIRE_FALSE(inference.ok());
    CHECK(inference.status().message() == trainable.status().message());
  }
}
