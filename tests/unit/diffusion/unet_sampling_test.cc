// The UNet sampling glue shared by `ddpm sample` and the JS sample(): which labels a model accepts,
// and that SampleUNet is Sample() over the UNet (no extra maths on the way).
#include <catch2/catch.hpp>

#include <cstring>

#include "diffusion/unet_sampling.h"
#include "support/reference.h"

using namespace ddpm;

namespace {

JsonConfig Config(const std::string& text) { return JsonConfig::Parse(text, "config.json").value(); }

std::string Message(const Status& st) { return st.message(); }

}  // namespace

TEST_CASE("ReadUNetClasses: num_class_embeds and null_class_index", "[diffusion][unet_sampling]") {
  auto none = ReadUNetClasses(Config(R"({"num_class_embeds": null})"));
  REQUIRE(none.ok());
  CHECK(none->num_class_embeds == 0);
  CHECK(none->null_class == -1);

  auto guided = ReadUNetClasses(Config(R"({"num_class_embeds": 11, "null_class_index": 10})"));
  REQUIRE(guided.ok());
  CHECK(guided->usable() == 10);

  auto plain = ReadUNetClasses(Config(R"({"num_class_embeds": 10})"));
  REQUIRE(plain.ok());
  CHECK(plain->usable() == 10);

  auto bad = ReadUNetClasses(Config(R"({"num_class_embeds": 10, "null_class_index": 10})"));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("null_class_index") && Catch::Contains("[0, num_class_embeds = 10)"));

  auto unconditional = ReadUNetClasses(Config(R"({"null_class_index": 0})"));
  REQUIRE_FALSE(unconditional.ok());
  CHECK_THAT(unconditional.status().message(), Catch::Contains("[0, num_class_embeds = 0)"));
}

TEST_CASE("null_class_index is a field of UNet2DConfig: read, checked and written back", "[diffusion][unet_sampling]") {
  auto c = nn::UNet2DConfig::FromJson(Config(R"({"num_class_embeds": 11, "null_class_index": 10})"));
  REQUIRE(c.ok());
  REQUIRE(c->null_class_index == 10);
  CHECK(c->ToJson()["null_class_index"] == 10);
  auto plain = nn::UNet2DConfig::FromJson(Config(R"({"num_class_embeds": 10})"));
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->null_class_index.has_value());
  CHECK_FALSE(plain->ToJson().contains("null_class_index"));
}

TEST_CASE("CheckSampleLabels refuses labels the model cannot take, by value", "[diffusion][unet_sampling]") {
  const UNetClasses guided{11, 10}, plain{10, -1}, uncond{};
  CHECK(CheckSampleLabels(guided, {0, 9}, 3.0).ok());
  CHECK(CheckSampleLabels(uncond, {}, 1.0).ok());
  CHECK_THAT(Message(CheckSampleLabels(guided, {10}, 1.0)),
             Catch::Equals("class label 10 is out of range: the model has 10 classes (0..9)"));
  CHECK_THAT(Message(CheckSampleLabels(plain, {-1}, 1.0)), Catch::Contains("class label -1 is out of range"));
  CHECK_THAT(Message(CheckSampleLabels(plain, {}, 1.0)), Catch::Contains("class-conditional") && Catch::Contains("0..9"));
  CHECK_THAT(Message(CheckSampleLabels(uncond, {1}, 1.0)), Catch::Contains("no class embedding"));
  CHECK_THAT(Message(CheckSampleLabels(uncond, {}, 2.0)), Catch::Contains("guidance scale 2") && Catch::Contains("class labels"));
}

TEST_CASE("SampleUNet equals Sample() over the UNet, and checks labels first", "[diffusion][unet_sampling]") {
  auto unet = nn::UNet2DModel::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(unet.ok());
  const JsonConfig sched = Config("{}");
  SampleOptions o;
  o.steps = 2;
  o.num_images = 2;
  o.seed = 5;
  o.class_labels = {3, 7};
  const UNetClasses classes{10, -1};
  auto a = SampleUNet(unet->get(), classes, sched, o, nullptr);
  REQUIRE(a.ok());
  auto b = Sample(UNetNoisePredictor(unet->get(), nullptr), {1, 32, 32}, sched, o);
  REQUIRE(b.ok());
  REQUIRE(a->shape() == Shape{2, 1, 32, 32});
  CHECK(std::memcmp(a->data(), b->data(), a->size() * sizeof(float)) == 0);

  o.class_labels = {10};
  auto bad = SampleUNet(unet->get(), classes, sched, o, nullptr);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("class label 10 is out of range"));
}
