// Config and argument errors: each is a value whose message names the key or the shapes.
#include <catch2/catch.hpp>

#include <string>

#include "base/rng.h"
#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"

using namespace ddpm;
using Catch::Matchers::Contains;

TEST_CASE("a bad beta_schedule names the key and lists the choices", "[diffusion][config]") {
  auto s = DDPMScheduler::FromJson(R"({"beta_schedule": "cosine"})", "sched.json");
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Contains("sched.json") && Contains("beta_schedule") && Contains("'cosine'") &&
                                       Contains("linear, scaled_linear, squaredcos_cap_v2, sigmoid"));
  // DDIMScheduler has no sigmoid schedule in diffusers.
  auto d = DDIMScheduler::FromJson(R"({"beta_schedule": "sigmoid"})");
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.status().message(), Contains("beta_schedule") && Contains("squaredcos_cap_v2"));
}

TEST_CASE("wrong types and bad values name the key", "[diffusion][config]") {
  struct Bad {
    const char* json;
    const char* key;
  };
  for (const Bad& b : {Bad{R"({"num_train_timesteps": "1000"})", "num_train_timesteps"},
                       Bad{R"({"num_train_timesteps": 0})", "num_train_timesteps"},
                       Bad{R"({"clip_sample": 1})", "clip_sample"},
                       Bad{R"({"beta_start": "x"})", "beta_start"},
                       Bad{R"({"prediction_type": "eps"})", "prediction_type"},
                       Bad{R"({"variance_type": "small"})", "variance_type"},
                       Bad{R"({"timestep_spacing": "uniform"})", "timestep_spacing"},
                       Bad{R"({"dynamic_thresholding_ratio": 1.5})", "dynamic_thresholding_ratio"},
                       Bad{R"({"trained_betas": [0.1, 0.2]})", "trained_betas"},
                       Bad{R"({"steps_offset": -1})", "steps_offset"}}) {
    INFO(b.json);
    auto s = DDPMScheduler::FromJson(b.json);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.status().message(), Contains(std::string("'") + b.key + "'"));
  }
  auto e = DDPMScheduler::FromJson(R"({"prediction_type": "eps"})");
  CHECK_THAT(e.status().message(), Contains("epsilon, sample, v_prediction"));
}

TEST_CASE("unknown keys are tolerated and defaults are diffusers'", "[diffusion][config]") {
  auto s = DDPMScheduler::FromJson(R"({"_class_name": "DDPMScheduler", "_diffusers_version": "0.31.0",
                                       "some_future_key": [1, 2], "trained_betas": null})");
  REQUIRE(s.ok());
  const DDPMSchedulerConfig& c = s->config();
  CHECK(c.num_train_timesteps == 1000);
  CHECK(c.beta_schedule == "linear");
  CHECK(c.variance_type == "fixed_small");
  CHECK(c.clip_sample);
  CHECK(c.timestep_spacing == "leading");
  auto d = DDIMScheduler::FromJson("{}");
  REQUIRE(d.ok());
  CHECK(d->config().set_alpha_to_one);
  // A hand-filled struct is checked like JSON.
  DDIMSchedulerConfig bad;
  bad.prediction_type = "noise";
  CHECK_FALSE(DDIMScheduler::FromConfig(bad).ok());
  // The config round-trips through ToJson.
  auto again = DDPMScheduler::FromJson(c.ToJson().dump());
  REQUIRE(again.ok());
  CHECK(again->config().ToJson() == c.ToJson());
}

TEST_CASE("shape mismatches name both shapes", "[diffusion][errors]") {
  auto s = DDPMScheduler::FromJson("{}");
  REQUIRE(s.ok());
  Tensor x({2, 3, 4, 4}), eps({2, 3, 4, 5}), noise({1, 3, 4, 4});
  auto r = s->Step(eps, 10, x);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("[2, 3, 4, 5]") && Contains("[2, 3, 4, 4]"));
  StepOptions opt;
  opt.noise = &noise;
  r = s->Step(x, 10, x, opt);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("noise") && Contains("[1, 3, 4, 4]") && Contains("[2, 3, 4, 4]"));
  // Noise is needed at t > 0: without noise or an rng the step fails; at t = 0 it is not needed.
  CHECK_FALSE(s->Step(x, 10, x).ok());
  CHECK(s->Step(x, 0, x).ok());
  PhiloxRng rng(7);
  opt = {};
  opt.rng = &rng;
  CHECK(s->Step(x, 10, x, opt).ok());
  CHECK_FALSE(s->Step(x, 1000, x).ok());  // outside [0, T)
  auto a = s->AddNoise(x, eps, {1, 2});
  CHECK_FALSE(a.ok());
  CHECK_FALSE(s->AddNoise(x, x, {1, 2, 3}).ok());  // 3 timesteps for a batch of 2

  auto d = DDIMScheduler::FromJson("{}");
  REQUIRE(d.ok());
  CHECK_FALSE(d->Step(x, 10, x).ok());  // set_timesteps first
  REQUIRE(d->SetTimesteps(50).ok());
  auto dr = d->Step(eps, 980, x);
  REQUIRE_FALSE(dr.ok());
  CHECK_THAT(dr.status().message(), Contains("[2, 3, 4, 5]"));
  CHECK(d->Step(x, 980, x).ok());  // eta = 0 needs no noise
  StepOptions eta;
  eta.eta = 1.0;
  CHECK_FALSE(d->Step(x, 980, x, eta).ok());
  CHECK_FALSE(d->SetTimesteps(0).ok());
  CHECK_FALSE(d->SetTimesteps(1001).ok());
}

TEST_CASE("DDPM custom timesteps and learned variance", "[diffusion][ddpm]") {
  auto s = DDPMScheduler::FromJson(R"({"variance_type": "learned_range"})");
  REQUIRE(s.ok());
  CHECK_FALSE(s->SetTimesteps(std::vector<int64_t>{10, 20}).ok());  // not descending
  CHECK_FALSE(s->SetTimesteps(std::vector<int64_t>{1000, 20}).ok());
  REQUIRE(s->SetTimesteps(std::vector<int64_t>{900, 500, 37, 0}).ok());
  CHECK(s->PreviousTimestep(500).value() == 37);
  CHECK(s->PreviousTimestep(0).value() == -1);
  CHECK_FALSE(s->PreviousTimestep(501).ok());
  Tensor x({1, 2, 2, 2}), mo({1, 4, 2, 2}), z({1, 2, 2, 2});
  for (size_t i = 0; i < mo.size(); ++i) mo[i] = i < 8 ? 0.1f : 0.5f;  // second half: predicted variance v
  for (size_t i = 0; i < z.size(); ++i) z[i] = 1.0f;
  StepOptions opt;
  opt.noise = &z;
  auto with_noise = s->Step(mo, 500, x, opt);
  REQUIRE(with_noise.ok());
  CHECK(with_noise->prev_sample.shape() == x.shape());
  auto wrong = s->Step(z, 500, x, opt);  // C channels where 2C are needed
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.status().message(), Contains("learned_range"));
  // learned_range: the noise scale is exp(0.5*(frac*log(beta) + (1-frac)*log(posterior var))), frac = 0.75.
  const auto& ac = s->alphas_cumprod();
  const double a_t = ac[500], a_p = ac[37], cur_b = 1 - a_t / a_p;
  const double var = (1 - a_p) / (1 - a_t) * cur_b;
  const double scale = std::exp(0.5 * (0.75 * std::log(cur_b) + 0.25 * std::log(var)));
  StepOptions zero_noise;
  Tensor zeros({1, 2, 2, 2});
  zero_noise.noise = &zeros;
  auto mean = s->Step(mo, 500, x, zero_noise);
  REQUIRE(mean.ok());
  CHECK(with_noise->prev_sample[0] - mean->prev_sample[0] == Approx(scale).epsilon(1e-5));
}
