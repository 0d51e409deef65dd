#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "diffusion/guidance.h"
#include "diffusion/pipeline.h"
#include "nn/toy_mlp.h"
#include "train/datasets.h"
#include "train/trainer.h"

using namespace ddpm;

namespace {

const char* kSchedulerJson = R"({"beta_schedule": "linear", "num_train_timesteps": 1000, "clip_sample": false})";

JsonConfig SchedulerConfig() { return JsonConfig::Parse(kSchedulerJson, "scheduler_config.json").value(); }

// The toy model sees x_t as [B, 2]; the pipeline works on [B, C, H, W] = [B, 2, 1, 1].
NoisePredictor ToyPredictor(ToyMlp& m) {
  return [&m](const Tensor& x, int64_t t, const std::vector<int64_t>&, Tensor* out) -> Status {
    const int b = int(x.dim(0));
    std::vector<float> ts(static_cast<size_t>(b), static_cast<float>(t));
    if (out->shape() != x.shape()) *out = Tensor(x.shape());
    m.Forward(x.data(), ts.data(), b, out->data(), nullptr);
    return Status::Ok();
  };
}

// Mean distance from each sample to its nearest point of the data set.
double MeanNearestDistance(const Tensor& samples, const std::vector<float>& data) {
  double total = 0;
  const int64_t n = samples.dim(0);
  for (int64_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::max();
    for (size_t j = 0; j < data.size(); j += 2) {
      const double dx = samples[2 * i] - data[j], dy = samples[2 * i + 1] - data[j + 1];
      best = std::min(best, dx * dx + dy * dy);
    }
    total += std::sqrt(best);
  }
  return total / n;
}

}  // namespace

TEST_CASE("a toy model trained here samples points on the moons (DDPM, DDIM, DPM-Solver++)", "[diffusion][pipeline][toy]") {
  ToyMlp model = ToyMlp::Create({.data_dim = 2, .hidden = 64, .num_hidden_layers = 2, .time_embed_dim = 16}, 4);
  const std::vector<float> data = MakeToy2D(Toy2DKind::kMoons, 2048, 6);
  TrainOptions o;
  o.lr = 3e-3;
  o.use_ema = false;
  Trainer trainer(&model, DDPMScheduler::FromJson(kSchedulerJson).value(), o, nullptr);
  BatchSampler sampler(2048, 1);
  std::vector<int64_t> idx;
  Tensor x0({256, 2});
  for (int step = 0; step < 4000; ++step) {
    sampler.Next(256, &idx);
    for (int i = 0; i < 256; ++i) std::memcpy(x0.data() + 2 * i, data.data() + 2 * idx[i], 2 * sizeof(float));
    REQUIRE(trainer.Step(x0, {}).ok());
  }

  PhiloxRng noise_rng(77);
  Tensor noise({300, 2, 1, 1});
  noise_rng.Normal(noise.data(), noise.size());
  const double noise_distance = MeanNearestDistance(noise, data);
  const std::vector<float> fresh = MakeToy2D(Toy2DKind::kMoons, 300, 99);
  const double data_distance = MeanNearestDistance(Tensor({300, 2, 1, 1}, fresh.data()), data);
  for (const char* name : {"ddpm", "ddim", "dpmpp"}) {
    SampleOptions so;
    so.scheduler = name;
    so.steps = std::string(name) == "ddpm" ? 1000 : std::string(name) == "ddim" ? 50 : 20;
    so.num_images = 300;
    so.seed = 3;
    auto samples = Sample(ToyPredictor(model), {2, 1, 1}, SchedulerConfig(), so);
    REQUIRE(samples.ok());
    const double d = MeanNearestDistance(*samples, data);
    INFO(name << ": mean distance to the data " << d << " (pure noise: " << noise_distance
              << ", fresh data: " << data_distance << ")");
    CHECK(d < 0.2 * noise_distance);  // trained: ~0.04-0.05; pure noise ~0.32
  }
}

TEST_CASE("sampling rejects bad requests by name and can be cancelled", "[diffusion][pipeline]") {
  ToyMlp model = ToyMlp::Create({}, 1);
  auto run = [&](SampleOptions so) { return Sample(ToyPredictor(model), {2, 1, 1}, SchedulerConfig(), so); };
  SampleOptions so;
  so.steps = 0;
  CHECK(run(so).status().message().find("steps 0") != std::string::npos);
  so.steps = 1001;
  CHECK(run(so).status().message().find("1..1000") != std::string::npos);
  so.steps = 10;
  so.scheduler = "euler";
  CHECK(run(so).status().message().find("must be one of") != std::string::npos);
  so.scheduler = "ddim";
  so.class_labels = {1};
  so.guidance_scale = 3.0;
  CHECK(run(so).status().message().find("null class") != std::string::npos);
  so.class_labels.clear();
  int calls = 0;
  so.on_step = [&](const StepProgress& p) { return ++calls < 3; };
  auto cancelled = run(so);
  REQUIRE_FALSE(cancelled.ok());
  CHECK(cancelled.status().code() == ErrorCode::kCancelled);
  CHECK(calls == 3);
}

TEST_CASE("classifier-free guidance applies only at the timesteps of its interval", "[diffusion][pipeline]") {
  // A model whose prediction is each row's class label: guided, ε = u + w·(c − u) = null + w·(label − null).
  std::vector<size_t> rows;  // rows of each model call
  NoisePredictor model = [&](const Tensor& x, int64_t, const std::vector<int64_t>& labels, Tensor* out) -> Status {
    rows.push_back(labels.size());
    DDPM_RETURN_IF_ERROR(ReuseTensor(out, x.shape()));
    const size_t per = x.size() / size_t(x.dim(0));
    for (int64_t i = 0; i < x.dim(0); ++i) std::fill_n(out->data() + i * per, per, float(labels[size_t(i)]));
    return Status::Ok();
  };
  const int64_t null_class = 10, label = 3;
  auto guided = GuidedModel::Make(model, {label}, 2, 2.0, null_class, GuidanceInterval{100, 500});
  REQUIRE(guided.ok());
  Tensor x(Shape{2, 1, 2, 2}), pred;
  for (int64_t t : {0, 99, 100, 300, 500, 501, 999}) {
    INFO("t = " << t);
    REQUIRE(guided->Predict(x, t, &pred).ok());
    const bool inside = t >= 100 && t <= 500;
    CHECK(rows.back() == (inside ? 4u : 2u));  // the doubled batch only where guidance applies
    CHECK(pred[pred.size() - 1] == (inside ? null_class + 2.0f * (label - null_class) : float(label)));
  }
  // The default interval is every timestep.
  auto everywhere = GuidedModel::Make(model, {label}, 2, 2.0, null_class);
  REQUIRE(everywhere.ok());
  for (int64_t t : {0, 999}) {
    REQUIRE(everywhere->Predict(x, t, &pred).ok());
    CHECK(rows.back() == 4u);
  }
}

TEST_CASE("the same seed gives the same samples", "[diffusion][pipeline]") {
  ToyMlp model = ToyMlp::Create({}, 2);
  SampleOptions so;
  so.scheduler = "ddpm";
  so.steps = 20;
  so.num_images = 4;
  so.seed = 5;
  auto a = Sample(ToyPredictor(model), {2, 1, 1}, SchedulerConfig(), so);
  auto b = Sample(ToyPredictor(model), {2, 1, 1}, SchedulerConfig(), so);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(std::memcmp(a->data(), b->data(), a->size() * sizeof(float)) == 0);
}

TEST_CASE("clip_sample in SampleOptions overrides the scheduler config's", "[diffusion][pipeline]") {
  // A model that predicts no noise at all makes x0 = x_t / sqrt(alpha_bar): far outside [-1, 1] early on,
  // so clipping changes the result.
  NoisePredictor zero = [](const Tensor& x, int64_t, const std::vector<int64_t>&, Tensor* out) {
    *out = Tensor(x.shape());
    return Status::Ok();
  };
  const JsonConfig clipped = JsonConfig::Parse(R"({"clip_sample": true})", "clipped").value();
  const JsonConfig unclipped = JsonConfig::Parse(R"({"clip_sample": false})", "unclipped").value();
  SampleOptions so;
  so.steps = 10;
  so.num_images = 2;
  const Tensor with_clip = Sample(zero, {1, 4, 4}, clipped, so).value();
  const Tensor without = Sample(zero, {1, 4, 4}, unclipped, so).value();
  so.clip_sample = false;
  const Tensor overridden = Sample(zero, {1, 4, 4}, clipped, so).value();
  REQUIRE(overridden.shape() == without.shape());
  CHECK(std::memcmp(overridden.data(), without.data(), without.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(with_clip.data(), without.data(), without.size() * sizeof(float)) != 0);
}
