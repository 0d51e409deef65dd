// UNet2DModel against diffusers' own outputs (shared/reference/unet_*): the final output and every
// stored intermediate (inter.*, in execution order), one report line per tensor. Tolerance: the
// reference README's suggestion for a float32 port, |a-b| <= 1e-4 + 1e-4·|b|.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>

#include "base/tensor.h"
#include "base/thread_pool.h"
#include "io/safetensors.h"
#include "nn/unet2d_model.h"
#include "support/reference.h"

using namespace ddpm;

namespace {

constexpr double kAtol = 1e-4, kRtol = 1e-4;  // shared/reference/README.md, "UNet" tolerances

std::unique_ptr<nn::UNet2DModel> LoadReferenceModel(const std::string& name) {
  auto m = nn::UNet2DModel::FromPretrained(test::ReferencePath(name));
  INFO(m.status().message());
  REQUIRE(m.ok());
  return std::move(m).value();
}

// Converts a captured NHWC [B,H,W,C] (or [B,C]) to the reference's NCHW.
Tensor ToNchw(const float* data, const Shape& shape) {
  Tensor t(shape, data);
  return shape.size() == 4 ? NhwcToNchw(t) : t;
}

bool CheckTensor(const std::string& label, const Tensor& got, const Tensor& want) {
  const test::Closeness c = test::Compare(got, want, kAtol, kRtol);
  const bool ok = c.shape_ok && c.worst_ratio <= 1.0;
  std::printf("  %-44s maxdiff %.3g %s%s\n", label.c_str(), c.max_abs, ok ? "OK" : "NOT OK",
              c.shape_ok ? "" : (" (shape " + ShapeToString(got.shape()) + " vs " + ShapeToString(want.shape()) + ")").c_str());
  return ok;
}

// Runs one reference case (keys under `prefix`) and checks output + intermediates.
void CheckCase(const std::string& name, const std::string& prefix, bool check_intermediates, int threads) {
  auto model = LoadReferenceModel(name);
  auto io = SafeTensors::ReadFile(test::ReferencePath(name + "/io.safetensors"));
  REQUIRE(io.ok());
  auto sample = io->GetFloat(prefix + "input.sample");
  auto timestep = io->GetInt(prefix + "input.timestep");
  REQUIRE(sample.ok());
  REQUIRE(timestep.ok());
  std::vector<int64_t> labels;
  if (io->Has(prefix + "input.class_labels")) labels = *io->GetInt(prefix + "input.class_labels");

  std::map<std::string, Tensor> captured;
  if (check_intermediates) {
    model->set_hook([&](const std::string& n, const float* data, const Shape& shape) {
      captured["inter." + n] = ToNchw(data, shape);
    });
  }
  ThreadPool pool(threads);
  auto out = model->Forward(*sample, *timestep, labels, &pool);
  INFO(out.status().message());
  REQUIRE(out.ok());

  std::printf("%s%s (threads %d):\n", name.c_str(), prefix.empty() ? "" : (" " + prefix).c_str(), threads);
  bool all_ok = CheckTensor(prefix + "output.sample", *out, *io->GetFloat(prefix + "output.sample"));
  if (check_intermediates) {
    const auto j = test::LoadReferenceJson(name + "/io.json");
    for (const auto& item : j["intermediates"]) {
      const std::string key = item["name"];
      auto want = io->GetFloat(key);
      REQUIRE(want.ok());
      auto it = captured.find(key);
      if (it == captured.end()) {
        std::printf("  %-44s not produced NOT OK\n", key.c_str());
        all_ok = false;
        continue;
      }
      all_ok &= CheckTensor(key, it->second, *want);
    }
  }
  CHECK(all_ok);
}

}  // namespace

TEST_CASE("UNet2DModel matches diffusers: unet_tiny (output + every intermediate)", "[nn][unet][reference]") {
  CheckCase("unet_tiny", "", true, 1);
}

TEST_CASE("UNet2DModel matches diffusers: unet_tiny extra0 (batch 1, int timestep 999)", "[nn][unet][reference]") {
  CheckCase("unet_tiny", "extra0.", false, 1);
}

TEST_CASE("UNet2DModel matches diffusers: unet_cond (class labels)", "[nn][unet][reference]") {
  CheckCase("unet_cond", "", true, 1);
}

TEST_CASE("UNet2DModel matches diffusers: unet_cifarstyle (one head, padding 0, no flip)", "[nn][unet][reference]") {
  CheckCase("unet_cifarstyle", "", true, 1);
}

TEST_CASE("UNet2DModel gives the same answer with 2 threads", "[nn][unet][reference]") {
  CheckCase("unet_cond", "", false, 2);
}
