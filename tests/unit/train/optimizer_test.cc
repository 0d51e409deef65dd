#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/reference.h"
#include "train/optimizer.h"

using namespace ddpm;

TEST_CASE("EMA warmup decays match diffusers' EMAModel (reference ema.decay)", "[train][ema]") {
  auto st = SafeTensors::ReadFile(test::ReferencePath("training_unet_tiny.safetensors"));
  REQUIRE(st.ok());
  auto decay = st->GetDouble("ema.decay");
  REQUIRE(decay.ok());
  EmaOptions o;
  o.decay = 0.9999;
  o.use_ema_warmup = true;
  o.inv_gamma = 1.0;
  o.power = 2.0 / 3.0;
  for (int k = 0; k < 3; ++k) CHECK(Ema::DecayAt(o, k + 1) == Approx((*decay)[k]).epsilon(1e-15));
}

TEST_CASE("AdamW follows torch's update order", "[train][adamw]") {
  // One parameter, computed by hand from torch.optim.AdamW's single-tensor algorithm.
  std::vector<float> w = {0.5f, -1.0f}, g = {0.1f, -0.2f};
  ParamList params = {{"w", w.data(), g.data(), 2}};
  AdamW opt(params, {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1});
  opt.Step(params, 0.01);
  for (int i = 0; i < 2; ++i) {
    const double m = 0.1 * g[i], v = 0.001 * double(g[i]) * g[i];
    const double mhat = m / 0.1, vhat = v / 0.001;
    const double w0 = i == 0 ? 0.5 : -1.0;
    const double expected = w0 * (1 - 0.01 * 0.1) - 0.01 * mhat / (std::sqrt(vhat) + 1e-8);
    CHECK(w[i] == Approx(expected).epsilon(1e-6));
  }
  CHECK(opt.step_count() == 1);
}

TEST_CASE("ClipGradNorm scales to max_norm and returns the norm before clipping", "[train][clip]") {
  std::vector<float> a = {3.0f, 0.0f}, b = {0.0f, 4.0f}, va(2), vb(2);
  ParamList params = {{"a", va.data(), a.data(), 2}, {"b", vb.data(), b.data(), 2}};
  const float norm = ClipGradNorm(params, 1.0f);
  CHECK(norm == Approx(5.0f));
  CHECK(a[0] == Approx(0.6f).epsilon(1e-6));
  CHECK(b[1] == Approx(0.8f).epsilon(1e-6));
  const float again = ClipGradNorm(params, 1.0f);  // already within the bound: unchanged
  CHECK(again == Approx(1.0f).epsilon(1e-5));
  CHECK(a[0] == Approx(0.6f).epsilon(1e-5));
}

TEST_CASE("cosine schedule with warmup matches diffusers' formula", "[train][lr]") {
  CHECK(LearningRateAt(0, 10, 110, 1.0) == 0.0);
  CHECK(LearningRateAt(5, 10, 110, 1.0) == Approx(0.5));
  CHECK(LearningRateAt(10, 10, 110, 1.0) == Approx(1.0));
  CHECK(LearningRateAt(60, 10, 110, 1.0) == Approx(0.5));
  CHECK(LearningRateAt(110, 10, 110, 1.0) == Approx(0.0).margin(1e-12));
}
