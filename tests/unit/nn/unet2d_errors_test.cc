// UNet2DModel refuses bad models and bad inputs with one error naming the key / value at fault, and
// plans its activation arena so that repeated forward passes of one size allocate nothing.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "io/file_util.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/unet2d_model.h"
#include "support/reference.h"

using namespace ddpm;

namespace {

// The reference weights of `name`, rewritten through `edit` (which may skip, replace or add tensors).
SafeTensors EditedWeights(const std::string& name,
                          const std::function<void(const std::string&, const Tensor&, SafeTensorsWriter*)>& edit,
                          DType dtype = DType::kF32) {
  auto src = SafeTensors::ReadFile(test::ReferencePath(name + "/diffusion_pytorch_model.safetensors"));
  REQUIRE(src.ok());
  SafeTensorsWriter w;
  for (const TensorInfo& t : src->tensors()) {
    auto v = src->GetFloat(t.name);
    REQUIRE(v.ok());
    if (edit) edit(t.name, *v, &w);
    else w.AddFloat(t.name, *v, dtype);
  }
  auto bytes = w.Serialize();
  REQUIRE(bytes.ok());
  auto out = SafeTensors::FromBytes(std::move(bytes).value(), name + "-edited.safetensors");
  REQUIRE(out.ok());
  return std::move(out).value();
}

JsonConfig ReferenceConfig(const std::string& name, const std::function<void(nlohmann::json&)>& edit = nullptr) {
  auto text = ReadFileText(test::ReferencePath(name + "/config.json"));
  REQUIRE(text.ok());
  auto j = nlohmann::json::parse(*text);
  if (edit) edit(j);
  auto c = JsonConfig::Parse(j.dump(), name + "/config.json");
  REQUIRE(c.ok());
  return std::move(c).value();
}

std::string CreateError(const JsonConfig& config, const SafeTensors& weights) {
  auto m = nn::UNet2DModel::Create(config, weights);
  REQUIRE_FALSE(m.ok());
  return m.status().message();
}

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("UNet2DModel names a missing weight key", "[nn][unet][errors]") {
  auto w = EditedWeights("unet_tiny", [](const std::string& n, const Tensor& t, SafeTensorsWriter* out) {
    if (n != "down_blocks.1.attentions.0.to_k.bias") out->AddFloat(n, t);
  });
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny"), w),
             Contains("missing key 'down_blocks.1.attentions.0.to_k.bias'"));
}

TEST_CASE("UNet2DModel names an extra weight key", "[nn][unet][errors]") {
  auto w = EditedWeights("unet_tiny", [](const std::string& n, const Tensor& t, SafeTensorsWriter* out) {
    out->AddFloat(n, t);
    if (n == "conv_in.bias") out->AddFloat("conv_in.extra", t);
  });
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny"), w), Contains("unexpected key 'conv_in.extra'"));
}

TEST_CASE("UNet2DModel names a mis-shaped weight key", "[nn][unet][errors]") {
  auto w = EditedWeights("unet_tiny", [](const std::string& n, const Tensor& t, SafeTensorsWriter* out) {
    if (n == "up_blocks.1.resnets.0.conv1.weight") out->AddFloat(n, t.Reshaped({t.dim(0), t.dim(1), 9}));
    else out->AddFloat(n, t);
  });
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny"), w),
             Contains("key 'up_blocks.1.resnets.0.conv1.weight' has shape [32, 96, 9], expected [32, 96, 3, 3]"));
}

TEST_CASE("UNet2DModel rejects non-finite weights by name", "[nn][unet][errors]") {
  auto w = EditedWeights("unet_tiny", [](const std::string& n, const Tensor& t, SafeTensorsWriter* out) {
    Tensor c = t;
    if (n == "conv_out.bias") c[1] = std::numeric_limits<float>::quiet_NaN();
    out->AddFloat(n, c);
  });
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny"), w), Contains("key 'conv_out.bias' has a non-finite value"));
}

TEST_CASE("UNet2DModel rejects unsupported config values, naming the key", "[nn][unet][errors]") {
  auto w = EditedWeights("unet_tiny", nullptr);
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["down_block_types"][0] = "CrossAttnDownBlock2D"; }), w),
             Contains("down_block_types") && Contains("CrossAttnDownBlock2D"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["up_block_types"][1] = "SkipUpBlock2D"; }), w),
             Contains("up_block_types"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["time_embedding_type"] = "fourier"; }), w),
             Contains("time_embedding_type") && Contains("fourier"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["resnet_time_scale_shift"] = "spatial"; }), w),
             Contains("resnet_time_scale_shift"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["act_fn"] = "gelu"; }), w), Contains("act_fn"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["class_embed_type"] = "timestep"; }), w),
             Contains("class_embed_type"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["block_out_channels"] = {32, 64, 64}; }), w),
             Contains("down_block_types"));
  CHECK_THAT(CreateError(ReferenceConfig("unet_tiny", [](auto& j) { j["layers_per_block"] = "two"; }), w),
             Contains("layers_per_block"));
}

TEST_CASE("UNet2DModel rejects bad inputs with clear errors", "[nn][unet][errors]") {
  auto m = nn::UNet2DModel::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(m.ok());
  auto& model = **m;
  Tensor x({2, 1, 32, 32});
  auto err = [&](const Tensor& s, std::vector<int64_t> t, std::vector<int64_t> l) {
    auto r = model.Forward(s, t, l);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK_THAT(err(x, {10, 700}, {3, 10}), Contains("class label 10 is out of range [0, 10)"));
  CHECK_THAT(err(x, {10, 700}, {-1, 2}), Contains("class label -1 is out of range"));
  CHECK_THAT(err(x, {10, 700}, {}), Contains("class_labels are required"));
  CHECK_THAT(err(Tensor({2, 3, 32, 32}), {10, 700}, {1, 2}), Contains("3 channels") && Contains("in_channels = 1"));
  CHECK_THAT(err(Tensor({2, 1, 30, 32}), {10, 700}, {1, 2}), Contains("height 30"));
  CHECK_THAT(err(x, {1, 2, 3}, {1, 2}), Contains("3 timesteps for a batch of 2"));
  CHECK_THAT(err(Tensor({1, 32, 32}), {1}, {1}), Contains("rank 4"));

  auto tiny = nn::UNet2DModel::FromPretrained(test::ReferencePath("unet_tiny"));
  REQUIRE(tiny.ok());
  auto r = (*tiny)->Forward(Tensor({1, 3, 16, 16}), std::vector<int64_t>{5}, {1});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("no class embedding"));
}

TEST_CASE("UNet2DModel loads F16 weights (exactly the F32 model with the same rounded weights)", "[nn][unet]") {
  auto f16 = EditedWeights("unet_tiny", nullptr, DType::kF16);
  // The same values, rounded to half and stored as F32.
  auto rounded = EditedWeights("unet_tiny", [](const std::string& n, const Tensor& t, SafeTensorsWriter* out) {
    Tensor r = t;
    for (size_t i = 0; i < r.size(); ++i) r[i] = HalfToFloat(FloatToHalf(r[i]));
    out->AddFloat(n, r);
  });
  auto a = nn::UNet2DModel::Create(ReferenceConfig("unet_tiny"), f16);
  auto b = nn::UNet2DModel::Create(ReferenceConfig("unet_tiny"), rounded);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto io = SafeTensors::ReadFile(test::ReferencePath("unet_tiny/io.safetensors"));
  REQUIRE(io.ok());
  auto x = *io->GetFloat("input.sample");
  auto t = *io->GetInt("input.timestep");
  auto ya = (*a)->Forward(x, t);
  auto yb = (*b)->Forward(x, t);
  REQUIRE(ya.ok());
  REQUIRE(yb.ok());
  CHECK(test::Compare(*ya, *yb, 0, 0).worst_ratio == 0);  // bit-identical
  CHECK((*a)->num_parameters() == 702499);                // io.json num_parameters
}

TEST_CASE("UNet2DModel forward passes of one size allocate nothing after the first", "[nn][unet][arena]") {
  auto m = nn::UNet2DModel::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(m.ok());
  auto& model = **m;
  auto io = SafeTensors::ReadFile(test::ReferencePath("unet_cond/io.safetensors"));
  REQUIRE(io.ok());
  const Tensor x = *io->GetFloat("input.sample");
  const std::vector<float> t = {10, 700};
  const std::vector<int64_t> labels = *io->GetInt("input.class_labels");
  Tensor out;
  REQUIRE(model.ForwardInto(x, t, labels, &out).ok());
  const int64_t allocations = model.arena().allocations();
  const size_t bytes = model.arena().bytes();
  const float* out_data = out.data();
  CHECK(allocations == 1);
  for (int i = 0; i < 3; ++i) REQUIRE(model.ForwardInto(x, t, labels, &out).ok());
  CHECK(model.arena().allocations() == allocations);
  CHECK(model.arena().bytes() == bytes);
  CHECK(out.data() == out_data);  // the output tensor was reused too
  // The result does not depend on arena reuse.
  CHECK(test::Compare(out, *io->GetFloat("output.sample"), 1e-4, 1e-4).worst_ratio <= 1.0);  // README tolerance
  // A smaller batch fits in the planned arena.
  Tensor x1({1, 1, 32, 32}, x.data());
  REQUIRE(model.ForwardInto(x1, {10}, {3}, &out).ok());
  CHECK(model.arena().allocations() == allocations);
}
