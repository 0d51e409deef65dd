// Behaviour the reference files do not cover: thresholding, solver orders 1-3, heun, Karras,
// lambda clipping, custom timesteps, and the numpy helpers.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "diffusion/scheduler_common.h"
#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"
#include "diffusion/scheduling_dpmsolver_multistep.h"

using namespace ddpm;
using Catch::Matchers::Contains;

TEST_CASE("dynamic thresholding follows torch.quantile's linear rule", "[diffusion][threshold]") {
  // One batch element of N = 101 values 0, 0.1, ..., 10 (sign alternating): rank = 0.995f*100 = 99.5,
  // weight 0.5 (the "large weight" branch): s = v[100] - (v[100] - v[99])*0.5 = 9.95.
  Tensor x({2, 1, 1, 101});
  for (int i = 0; i < 101; ++i) {
    x[i] = (i % 2 ? -1.0f : 1.0f) * 0.1f * static_cast<float>(i);
    x[101 + i] = 0.5f * x[i] / 10.0f;  // second element: all |x| <= 0.5, so s clamps to 1
  }
  Tensor y = x;
  ThresholdSampleInPlace(&y, 0.995, /*sample_max_value=*/100.0);
  const float v99 = 0.1f * 99.0f, v100 = 0.1f * 100.0f;
  const float s = v100 - (v100 - v99) * (1.0f - 0.5f);
  for (int i = 0; i < 101; ++i) {
    CHECK(y[i] == std::min(std::max(x[i], -s), s) / s);
    CHECK(y[101 + i] == x[101 + i]);  // s = 1: plain clipping, nothing to clip
  }
  // sample_max_value caps s.
  Tensor z = x;
  ThresholdSampleInPlace(&z, 0.995, 2.0);
  CHECK(z[100] == 1.0f);
  CHECK(z[2] == 0.2f / 2.0f);
}

TEST_CASE("DDPM thresholding replaces clipping", "[diffusion][threshold]") {
  auto s = DDPMScheduler::FromJson(R"({"thresholding": true, "sample_max_value": 3.0, "prediction_type": "sample"})");
  REQUIRE(s.ok());
  Tensor mo({1, 1, 2, 2}), x({1, 1, 2, 2});
  mo[0] = 5.0f;  // quantile of |x0| = 5 - ... well above 1: s = min(q, 3)
  mo[1] = 2.5f;
  mo[2] = -0.5f;
  mo[3] = 0.0f;
  auto out = s->Step(mo, 0, x);
  REQUIRE(out.ok());
  // N = 4: rank = 0.995f*3 = 2.985, between v[2] = 2.5 and v[3] = 5: q = 5 - 2.5*(1 - w) ~ 4.96 -> s = 3.
  CHECK(out->pred_original_sample[0] == 1.0f);
  CHECK(out->pred_original_sample[1] == 2.5f / 3.0f);
  CHECK(out->pred_original_sample[2] == -0.5f / 3.0f);
}

TEST_CASE("numpy linspace and arange quirks", "[diffusion][timesteps]") {
  CHECK(NumpyLinspace(0, 999, 1) == std::vector<double>{0.0});
  CHECK(NumpyLinspace(0, 1, 3) == std::vector<double>{0.0, 0.5, 1.0});
  // arange fills start + i*((start + step) - start) and has ceil((stop - start)/step) entries.
  CHECK(NumpyArange(1000, 0, -1000.0 / 7).size() == static_cast<size_t>(std::ceil(-1000.0 / (-1000.0 / 7))));
  auto t = SpacedTimesteps("trailing", 1000, 50, 0);
  REQUIRE(t.ok());
  CHECK(t->front() == 999);
  CHECK(t->back() == 19);
  CHECK_FALSE(SpacedTimesteps("uniform", 1000, 50, 0).ok());
}

namespace {
// Runs a full DPM loop with a fixed linear "model"; returns the orders used.
std::vector<int> RunOrders(DPMSolverMultistepScheduler& s, int n, Tensor* final_x = nullptr) {
  REQUIRE(s.SetTimesteps(n).ok());
  Tensor x({1, 2, 2, 2});
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * static_cast<float>(i) - 1.0f;
  std::vector<int> orders;
  for (int64_t t : s.timesteps()) {
    Tensor eps = x;
    for (size_t i = 0; i < eps.size(); ++i) eps[i] = 0.5f * x[i];
    auto out = s.Step(eps, t, x);
    REQUIRE(out.ok());
    for (size_t i = 0; i < x.size(); ++i) REQUIRE(std::isfinite(out->prev_sample[i]));
    x = std::move(out->prev_sample);
    orders.push_back(s.last_solver_order());
  }
  if (final_x) *final_x = x;
  return orders;
}
}  // namespace

TEST_CASE("DPM-Solver++ picks diffusers' solver order at each step", "[diffusion][dpmsolver]") {
  auto s3 = DPMSolverMultistepScheduler::FromJson(R"({"solver_order": 3})");
  REQUIRE(s3.ok());
  // n < 15 with lower_order_final: 1, 2, 3, ..., 3, 2 (second to last), 1 (last).
  CHECK(RunOrders(*s3, 8) == std::vector<int>{1, 2, 3, 3, 3, 3, 2, 1});
  // n >= 15: the last step is still 1 because final_sigmas_type is zero.
  std::vector<int> expected(20, 3);
  expected[0] = 1;
  expected[1] = 2;
  expected[19] = 1;
  CHECK(RunOrders(*s3, 20) == expected);
  auto heun = DPMSolverMultistepScheduler::FromJson(
      R"({"solver_type": "heun", "final_sigmas_type": "sigma_min", "lower_order_final": false})");
  REQUIRE(heun.ok());
  std::vector<int> h(10, 2);
  h[0] = 1;
  CHECK(RunOrders(*heun, 10) == h);  // sigma_min final and no lower_order_final: order 2 to the end
  auto euler = DPMSolverMultistepScheduler::FromJson(
      R"({"final_sigmas_type": "sigma_min", "lower_order_final": false, "euler_at_final": true})");
  REQUIRE(euler.ok());
  CHECK(RunOrders(*euler, 10).back() == 1);
  auto first = DPMSolverMultistepScheduler::FromJson(R"({"solver_order": 1, "use_karras_sigmas": true})");
  REQUIRE(first.ok());
  CHECK(RunOrders(*first, 6) == std::vector<int>(6, 1));
}

TEST_CASE("DPM-Solver++ last step with final sigma 0 returns the data prediction", "[diffusion][dpmsolver]") {
  auto s = DPMSolverMultistepScheduler::FromJson(R"({"prediction_type": "v_prediction", "timestep_spacing": "trailing"})");
  REQUIRE(s.ok());
  REQUIRE(s->SetTimesteps(5).ok());
  Tensor x({1, 1, 1, 3}), v({1, 1, 1, 3});
  x[0] = 0.5f, x[1] = -2.0f, x[2] = 1.0f;
  v[0] = 0.1f, v[1] = 0.2f, v[2] = -0.3f;
  StepOutput last;
  for (int64_t t : s->timesteps()) {
    auto out = s->Step(v, t, x);
    REQUIRE(out.ok());
    x = out->prev_sample;
    last = std::move(out).value();
  }
  for (int i = 0; i < 3; ++i) CHECK(last.prev_sample[i] == last.pred_original_sample[i]);
  CHECK_FALSE(s->Step(v, 0, x).ok());  // all timesteps done
}

TEST_CASE("DPM-Solver++ lambda_min_clipped, custom timesteps and config errors", "[diffusion][dpmsolver]") {
  auto plain = DPMSolverMultistepScheduler::FromJson(R"({"beta_schedule": "squaredcos_cap_v2"})");
  auto clipped = DPMSolverMultistepScheduler::FromJson(R"({"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1})");
  REQUIRE(plain.ok());
  REQUIRE(clipped.ok());
  REQUIRE(plain->SetTimesteps(10).ok());
  REQUIRE(clipped->SetTimesteps(10).ok());
  CHECK(plain->timesteps().front() == 999);
  CHECK(clipped->timesteps().front() < 999);  // the cosine schedule's last timesteps have lambda < -5.1
  CHECK(clipped->sigmas().front() < plain->sigmas().front());

  REQUIRE(plain->SetTimesteps(std::vector<int64_t>{900, 600, 300, 10}).ok());
  CHECK(plain->sigmas().size() == 5);
  CHECK(plain->sigmas()[1] == std::sqrt((1.0f - plain->alphas_cumprod()[600]) / plain->alphas_cumprod()[600]));

  // diffusers' own restrictions: noise-prediction variants cannot end at sigma 0; SDEs have no order 3.
  auto bad = DPMSolverMultistepScheduler::FromJson(R"({"algorithm_type": "dpmsolver"})");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Contains("final_sigmas_type") && Contains("sigma_min"));
  auto sde3 = DPMSolverMultistepScheduler::FromJson(R"({"algorithm_type": "sde-dpmsolver++", "solver_order": 3})");
  REQUIRE_FALSE(sde3.ok());
  CHECK_THAT(sde3.status().message(), Contains("solver_order"));
  auto typo = DPMSolverMultistepScheduler::FromJson(R"({"algorithm_type": "dpm"})");
  REQUIRE_FALSE(typo.ok());
  CHECK_THAT(typo.status().message(), Contains("must be one of"));
  CHECK_FALSE(DPMSolverMultistepScheduler::FromJson(R"({"solver_order": 4})").ok());
  CHECK_FALSE(DPMSolverMultistepScheduler::FromJson(R"({"use_lu_lambdas": true})").ok());
  CHECK_FALSE(DPMSolverMultistepScheduler::FromJson(R"({"final_sigmas_type": "max"})").ok());
  // A DDPM config loads as a DPM-Solver config (diffusers' from_config): its extra keys are ignored.
  auto from_ddpm = DPMSolverMultistepScheduler::FromJson(DDPMScheduler::FromJson("{}")->config().ToJson().dump());
  INFO(from_ddpm.status().message());
  CHECK(from_ddpm.ok());
  // Shapes.
  auto s = DPMSolverMultistepScheduler::FromJson("{}");
  REQUIRE(s->SetTimesteps(10).ok());
  auto r = s->Step(Tensor({1, 3, 4, 4}), 999, Tensor({1, 3, 4, 5}));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("[1, 3, 4, 4]") && Contains("[1, 3, 4, 5]"));
}

TEST_CASE("scheduler configs written by Python with -Infinity load", "[diffusion][config]") {
  // What diffusers' save_config writes for DPMSolverMultistepScheduler (json.dumps of float('-inf')).
  const char* text = R"({"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity,
                         "note": "NaN and -Infinity inside a string stay as they are", "variance_type": null})";
  auto dpm = DPMSolverMultistepScheduler::FromJson(text);
  INFO(dpm.status().message());
  REQUIRE(dpm.ok());
  CHECK(dpm->config().lambda_min_clipped == -INFINITY);
  // Written back, the default is left out (diffusers would read null as a value), and reads back as -inf.
  CHECK_FALSE(dpm->config().ToJson().contains("lambda_min_clipped"));
  DPMSolverMultistepSchedulerConfig clipped;
  clipped.lambda_min_clipped = -5.1;
  auto c2 = DPMSolverMultistepScheduler::FromConfig(clipped);
  REQUIRE(c2.ok());
  CHECK(c2->config().lambda_min_clipped == -5.1);
  clipped.lambda_min_clipped = NAN;
  CHECK_FALSE(DPMSolverMultistepScheduler::FromConfig(clipped).ok());
  auto cfg = JsonConfig::Parse(text, "x.json");
  REQUIRE(cfg.ok());
  CHECK(cfg->raw()["note"] == "NaN and -Infinity inside a string stay as they are");
  // The DDIM scheduler of the same pipeline ignores the key.
  CHECK(DDIMScheduler::FromJson(text).ok());
  // Infinity where a finite number is needed is an error naming the key.
  auto bad = DDIMScheduler::FromJson(R"({"beta_end": Infinity})");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Contains("beta_end"));
  CHECK_FALSE(JsonConfig::Parse("{\"a\": Infinityx}", "y.json").ok());
}

namespace {
// One DPM-Solver step from timestep 500 to 400 (custom timesteps, so it is a first-order step).
Tensor DpmFirstStep(const std::string& algorithm, const Tensor& eps, const Tensor& x, const Tensor* noise) {
  auto s = DPMSolverMultistepScheduler::FromJson(R"({"final_sigmas_type": "sigma_min", "algorithm_type": ")" +
                                                 algorithm + "\"}");
  REQUIRE(s.ok());
  REQUIRE(s->SetTimesteps(std::vector<int64_t>{500, 400, 300}).ok());
  StepOptions o;
  o.noise = noise;
  auto out = s->Step(eps, 500, x, o);
  REQUIRE(out.ok());
  CHECK(s->last_solver_order() == 1);
  return std::move(out->prev_sample);
}
}  // namespace

TEST_CASE("first-order DPM-Solver steps equal DDIM steps", "[diffusion][dpmsolver]") {
  // In exact arithmetic DPM-Solver-1 and DPM-Solver++(1) are DDIM with eta = 0, and
  // SDE-DPM-Solver++(1) is DDIM with eta = 1 (same noise coefficient sqrt(var), same mean). This checks
  // the variants without diffusers dumps against the DDIM step, which is bit-exact with diffusers.
  Tensor x({1, 2, 4, 4}), eps({1, 2, 4, 4}), z({1, 2, 4, 4});
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::sin(0.7f * static_cast<float>(i));
    eps[i] = std::cos(1.3f * static_cast<float>(i));
    z[i] = std::sin(2.1f * static_cast<float>(i) + 0.5f);
  }
  auto ddim = DDIMScheduler::FromJson(R"({"clip_sample": false})");
  REQUIRE(ddim.ok());
  REQUIRE(ddim->SetTimesteps(10).ok());  // leading: 900, ..., 0; prev of 500 is 400
  StepOptions eta0;
  const Tensor ode = ddim->Step(eps, 500, x, eta0).value().prev_sample;
  StepOptions eta1;
  eta1.eta = 1.0;
  eta1.noise = &z;
  const Tensor sde = ddim->Step(eps, 500, x, eta1).value().prev_sample;
  // float32 against float32 through different formulas: |x| ~ 1, so 2e-5 absolute.
  auto close = [](const Tensor& a, const Tensor& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::fmax(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
  };
  CHECK(close(DpmFirstStep("dpmsolver++", eps, x, nullptr), ode) < 2e-5);
  CHECK(close(DpmFirstStep("dpmsolver", eps, x, nullptr), ode) < 2e-5);
  CHECK(close(DpmFirstStep("sde-dpmsolver++", eps, x, &z), sde) < 2e-5);
  CHECK(close(DpmFirstStep("sde-dpmsolver++", eps, x, &z), ode) > 1e-2);  // the noise matters
  // SDE-DPM-Solver-1 (noise prediction) is another discretisation; check it against its formula in
  // double: x' = (a_t/a_s) x - 2 s_t (e^h - 1) eps + s_t sqrt(e^{2h} - 1) z with a = sqrt(abar), s = sqrt(1-abar).
  auto dpm = DPMSolverMultistepScheduler::FromJson("{}");
  const double ab_s = dpm->alphas_cumprod()[500], ab_t = dpm->alphas_cumprod()[400];
  const double a_s = std::sqrt(ab_s), s_s = std::sqrt(1 - ab_s), a_t = std::sqrt(ab_t), s_t = std::sqrt(1 - ab_t);
  const double h = std::log(a_t / s_t) - std::log(a_s / s_s);
  const Tensor got = DpmFirstStep("sde-dpmsolver", eps, x, &z);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = a_t / a_s * x[i] - 2 * s_t * std::expm1(h) * eps[i] + s_t * std::sqrt(std::expm1(2 * h)) * z[i];
    m = std::fmax(m, std::fabs(want - got[i]));
  }
  CHECK(m < 2e-5);
  // The SDE variants need noise.
  auto s = DPMSolverMultistepScheduler::FromJson(R"({"algorithm_type": "sde-dpmsolver++"})");
  REQUIRE(s->SetTimesteps(5).ok());
  CHECK_FALSE(s->Step(eps, s->timesteps()[0], x).ok());
}

TEST_CASE("higher-order DPM-Solver variants converge to the same ODE solution", "[diffusion][dpmsolver]") {
  // A linear "model" eps = 0.5*x keeps the probability-flow ODE smooth. 999-step DDIM (first order,
  // tiny steps) is the reference; every multistep variant with 25 steps must land near it, and the
  // higher orders nearer than a first-order solver with the same steps.
  auto run = [](const std::string& json, int n) {
    auto s = DPMSolverMultistepScheduler::FromJson(json);
    REQUIRE(s.ok());
    REQUIRE(s->SetTimesteps(n).ok());
    Tensor x({1, 1, 2, 2});
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.4f * static_cast<float>(i) - 0.6f;
    for (int64_t t : s->timesteps()) {
      Tensor eps = x;
      for (size_t i = 0; i < eps.size(); ++i) eps[i] = 0.5f * x[i];
      x = s->Step(eps, t, x).value().prev_sample;
    }
    return x;
  };
  // Reference: dpmsolver++ first order (= DDIM) with 999 steps ending at sigma_min.
  const Tensor ref = run(R"({"solver_order": 1, "final_sigmas_type": "sigma_min"})", 999);
  auto err = [&](const Tensor& a) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::fmax(m, std::fabs(double(a[i]) - double(ref[i])));
    return m;
  };
  const double first = err(run(R"({"solver_order": 1, "final_sigmas_type": "sigma_min"})", 25));
  for (const char* cfg : {R"({"solver_order": 2, "final_sigmas_type": "sigma_min"})",
                          R"({"solver_order": 3, "final_sigmas_type": "sigma_min"})",
                          R"({"solver_order": 2, "solver_type": "heun", "final_sigmas_type": "sigma_min"})",
                          R"({"algorithm_type": "dpmsolver", "solver_order": 2, "final_sigmas_type": "sigma_min"})",
                          R"({"algorithm_type": "dpmsolver", "solver_order": 3, "final_sigmas_type": "sigma_min"})",
                          R"({"algorithm_type": "dpmsolver", "solver_type": "heun", "final_sigmas_type": "sigma_min"})"}) {
    const double e = err(run(cfg, 25));
    INFO(cfg << ": max error " << e << " vs first order " << first);
    CHECK(e < 0.5 * first);
  }
}
