// UNet2DTrainable against the inference UNet2DModel (same config and weights -> same output), its saved
// folder loading back in UNet2DModel, and directional finite differences of the whole model on a small
// random config that turns on the switches the references do not cover (scale_shift, no mid-attention
// norm, mid_block_scale_factor, center_input_sample, one head, cifar downsample padding, classes).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "base/thread_pool.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/train/unet2d_trainable.h"
#include "nn/unet2d_model.h"
#include "support/reference.h"

using namespace ddpm;
using nn::train::UNet2DTrainable;

namespace {

std::unique_ptr<UNet2DTrainable> LoadTrainable(const std::string& dir) {
  auto m = UNet2DTrainable::FromPretrained(dir);
  INFO(m.status().message());
  REQUIRE(m.ok());
  return std::move(m).value();
}

std::unique_ptr<nn::UNet2DModel> LoadInference(const std::string& dir) {
  auto m = nn::UNet2DModel::FromPretrained(dir);
  INFO(m.status().message());
  REQUIRE(m.ok());
  return std::move(m).value();
}

// max|a-b| / max|b|
double RelDiff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0, s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, std::fabs(double(a[i]) - double(b[i])));
    s = std::max(s, std::fabs(double(b[i])));
  }
  return d / s;
}

const char* kSwitchesConfig = R"({
  "_class_name": "UNet2DModel", "sample_size": 8, "in_channels": 2, "out_channels": 3,
  "block_out_channels": [8, 16], "layers_per_block": 1, "norm_num_groups": 4,
  "down_block_types": ["DownBlock2D", "AttnDownBlock2D"], "up_block_types": ["AttnUpBlock2D", "UpBlock2D"],
  "attention_head_dim": null, "resnet_time_scale_shift": "scale_shift", "mid_block_scale_factor": 1.4142135,
  "center_input_sample": true, "downsample_padding": 0, "num_class_embeds": 5, "freq_shift": 1,
  "flip_sin_to_cos": false, "norm_eps": 1e-6
})";

}  // namespace

TEST_CASE("UNet2DTrainable's forward equals UNet2DModel's on the reference models", "[nn_train][unet]") {
  for (const char* name : {"unet_tiny", "unet_cond", "unet_cifarstyle"}) {
    const std::string dir = test::ReferencePath(name);
    auto trainable = LoadTrainable(dir);
    auto inference = LoadInference(dir);
    auto io = SafeTensors::ReadFile(dir + "/io.safetensors");
    REQUIRE(io.ok());
    const Tensor x = *io->GetFloat("input.sample");
    const std::vector<int64_t> t = *io->GetInt("input.timestep");
    std::vector<int64_t> labels;
    if (io->Has("input.class_labels")) labels = *io->GetInt("input.class_labels");
    ThreadPool pool(2);
    auto want = inference->Forward(x, t, labels, &pool);
    REQUIRE(want.ok());
    Tensor got;
    REQUIRE(trainable->ForwardTrain(x, std::vector<float>(t.begin(), t.end()), labels, &got, &pool).ok());
    const double rel = RelDiff(got, *want);
    std::printf("  %-16s forward vs inference: max|Δ|/max|ref| %.3g (tol 1e-5) %s\n", name, rel,
                rel <= 1e-5 ? "OK" : "NOT OK");
    CHECK(rel <= 1e-5);
    // And against diffusers itself, with the README's UNet tolerance |a-b| <= 1e-4 + 1e-4·|b|.
    const test::Closeness c = test::Compare(got, *io->GetFloat("output.sample"), 1e-4, 1e-4);
    CHECK(c.worst_ratio <= 1.0);
    CHECK(trainable->num_parameters() == inference->num_parameters());
  }
}

TEST_CASE("UNet2DTrainable::SaveModel writes a folder UNet2DModel loads, with the same keys", "[nn_train][unet]") {
  const std::string src = test::ReferencePath("unet_cond");
  auto model = LoadTrainable(src);
  // Move the weights a little so the round trip cannot pass by reading the original file.
  for (const ParamRef& p : model->Parameters())
    for (size_t i = 0; i < p.size; ++i) p.value[i] *= 1.01f;
  const auto dir = (std::filesystem::temp_directory_path() / "ddpm_unet_trainable_save").string();
  std::filesystem::create_directories(dir);
  REQUIRE(model->SaveModel(dir).ok());

  auto saved = SafeTensors::ReadFile(dir + "/diffusion_pytorch_model.safetensors");
  auto original = SafeTensors::ReadFile(src + "/diffusion_pytorch_model.safetensors");
  REQUIRE(saved.ok());
  REQUIRE(original.ok());
  REQUIRE(saved->tensors().size() == original->tensors().size());
  for (const TensorInfo& t : original->tensors()) {
    const TensorInfo* s = saved->Find(t.name);
    REQUIRE(s);
    CHECK(s->shape == t.shape);
  }

  auto inference = LoadInference(dir);
  Tensor x({2, 1, 32, 32});
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng);
  auto want = inference->Forward(x, std::vector<int64_t>{3, 900}, {1, 8}, nullptr);
  REQUIRE(want.ok());
  Tensor got;
  REQUIRE(model->ForwardTrain(x, {3.0f, 900.0f}, {1, 8}, &got, nullptr).ok());
  CHECK(RelDiff(got, *want) <= 1e-5);
  std::filesystem::remove_all(dir);
}

TEST_CASE("UNet2DTrainable gradients match directional finite differences on a config with every switch",
          "[nn_train][unet][fd]") {
  auto json = JsonConfig::Parse(kSwitchesConfig, "switches.json");
  REQUIRE(json.ok());
  auto created = UNet2DTrainable::FromConfig(*json, 17);
  INFO(created.status().message());
  REQUIRE(created.ok());
  UNet2DTrainable& model = **created;
  ThreadPool pool(2);

  // The inference model agrees on the forward of this config too (via a saved folder).
  const auto dir = (std::filesystem::temp_directory_path() / "ddpm_unet_switches").string();
  std::filesystem::create_directories(dir);
  REQUIRE(model.SaveModel(dir).ok());
  auto inference = LoadInference(dir);
  std::filesystem::remove_all(dir);

  std::mt19937 rng(23);
  std::normal_distribution<float> nd;
  Tensor x({2, 2, 8, 8}), r({2, 3, 8, 8});
  for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng);
  for (size_t i = 0; i < r.size(); ++i) r[i] = nd(rng);
  const std::vector<float> t = {37.0f, 801.0f};
  const std::vector<int64_t> labels = {4, 1};
  Tensor out;
  REQUIRE(model.ForwardTrain(x, t, labels, &out, &pool).ok());
  auto want = inference->Forward(x, std::vector<int64_t>{37, 801}, labels, &pool);
  REQUIRE(want.ok());
  CHECK(RelDiff(out, *want) <= 1e-5);

  // L = Σ r·out: d L / d out = r.
  model.ZeroGrad();
  REQUIRE(model.Backward(r, &pool).ok());
  Tensor dx;
  REQUIRE(model.InputGradient(&dx).ok());
  Tensor xin = x;
  auto loss = [&]() {
    Tensor o;
    REQUIRE(model.ForwardTrain(xin, t, labels, &o, &pool).ok());
    double l = 0;
    for (size_t i = 0; i < o.size(); ++i) l += double(r[i]) * o[i];
    return l;
  };
  // Central differences in float, ε = 3e-3: |fd − g·v| <= 2e-3·|g|·|v| + 1e-3. The relative part covers
  // the O(ε²) truncation, the absolute part float rounding of L divided by 2ε (tensors with tiny
  // gradients, e.g. to_q.bias, sit at that floor). A wrong term is off by O(|g·v|).
  const double eps = 3e-3;
  auto check = [&](const std::string& what, float* values, const float* grad, size_t n) {
    std::vector<float> v(n), keep(values, values + n);
    double gv = 0, gg = 0, vv = 0;
    for (size_t i = 0; i < n; ++i) {
      v[i] = nd(rng);
      gv += double(grad[i]) * v[i];
      gg += double(grad[i]) * grad[i];
      vv += double(v[i]) * v[i];
    }
    for (size_t i = 0; i < n; ++i) values[i] = keep[i] + float(eps) * v[i];
    const double up = loss();
    for (size_t i = 0; i < n; ++i) values[i] = keep[i] - float(eps) * v[i];
    const double down = loss();
    std::copy(keep.begin(), keep.end(), values);
    const double fd = (up - down) / (2 * eps), err = std::fabs(fd - gv), tol = 2e-3 * std::sqrt(gg * vv) + 1e-3;
    std::printf("  %-48s fd %.6g g·v %.6g diff %.2e (tol %.2e) %s\n", what.c_str(), fd, gv, err, tol,
                err <= tol ? "OK" : "NOT OK");
    CHECK(err <= tol);
  };
  check("input.sample", xin.data(), dx.data(), x.size());
  for (const ParamRef& p : model.Parameters()) {
    // to_k.bias has a zero gradient (the softmax cancels it): differences would only measure rounding.
    if (p.name.find("to_k.bias") == std::string::npos) check(p.name, p.value, p.grad, p.size);
  }
}

TEST_CASE("UNet2DTrainable on 2 threads splits a batch into lanes that give the 1-thread gradients, bit-repeatably",
          "[nn_train][unet][lanes]") {
  // Batch 5 on 2 threads: lanes of 2 and 3 images, each a whole forward and backward on one thread,
  // replicas sharing the weights; against the same model run on 1 thread.
  auto one = LoadTrainable(test::ReferencePath("unet_cond"));
  auto two = LoadTrainable(test::ReferencePath("unet_cond"));
  ThreadPool pool1(1), pool2(2);
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  Tensor x({5, 1, 32, 32}), r({5, 1, 32, 32});
  for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng);
  for (size_t i = 0; i < r.size(); ++i) r[i] = nd(rng);
  const std::vector<float> t = {3.0f, 250.0f, 500.0f, 750.0f, 999.0f};
  const std::vector<int64_t> labels = {0, 3, 9, 1, 7};
  auto step = [&](UNet2DTrainable& m, ThreadPool& pool, Tensor* out, Tensor* dx) {
    m.ZeroGrad();
    REQUIRE(m.ForwardTrain(x, t, labels, out, &pool).ok());
    REQUIRE(m.Backward(r, &pool).ok());
    REQUIRE(m.InputGradient(dx).ok());
  };
  Tensor out1, dx1, out2, dx2;
  step(*one, pool1, &out1, &dx1);
  step(*two, pool2, &out2, &dx2);
  // Per-image work is the same arithmetic; weight gradients sum their blocks in another order: float
  // rounding of sums over thousands of terms, 1e-5 of each tensor's largest value.
  CHECK(RelDiff(out2, out1) <= 1e-6);
  CHECK(RelDiff(dx2, dx1) <= 1e-5);
  const ParamList p1 = one->Parameters(), p2 = two->Parameters();
  REQUIRE(p1.size() == p2.size());
  for (size_t k = 0; k < p1.size(); ++k) {
    INFO(p1[k].name);
    // to_k.bias has a zero gradient (the softmax cancels it): both sides are rounding noise.
    if (p1[k].name.find("to_k.bias") != std::string::npos) continue;
    double d = 0, s = 0;
    for (size_t i = 0; i < p1[k].size; ++i) {
      d = std::max(d, std::fabs(double(p2[k].grad[i]) - p1[k].grad[i]));
      s = std::max(s, std::fabs(double(p1[k].grad[i])));
    }
    CHECK(d <= 1e-5 * s + 1e-9);
  }
  // The same step again on 2 threads repeats bit for bit.
  std::vector<float> grads(p2[0].grad, p2[0].grad + p2[0].size);
  Tensor out3, dx3;
  step(*two, pool2, &out3, &dx3);
  CHECK(std::equal(out3.data(), out3.data() + out3.size(), out2.data()));
  CHECK(std::equal(dx3.data(), dx3.data() + dx3.size(), dx2.data()));
  CHECK(std::equal(grads.begin(), grads.end(), two->Parameters()[0].grad));
}
