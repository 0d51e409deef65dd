// Beta tables, computed from the config, against diffusers' float32 tables (schedules.safetensors).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"
#include "unit/diffusion/scheduler_test_util.h"

using namespace ddpm;
using namespace ddpm::test;

namespace {
size_t CountExact(const std::vector<float>& a, const Tensor& b) {
  size_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += std::memcmp(a.data() + i, b.data() + i, sizeof(float)) == 0;
  return n;
}
double MaxAbs(const std::vector<float>& a, const Tensor& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::fmax(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}
}  // namespace

TEST_CASE("beta schedules equal diffusers' float32 tables", "[diffusion][schedules][reference]") {
  const nlohmann::json ref = LoadReferenceJson("schedules.json");
  const SafeTensors st = LoadReferenceTensors("schedules.safetensors");
  for (const auto& [name, entry] : ref["schedules"].items()) {
    INFO("schedule " << name);
    auto s = DDPMScheduler::FromConfig(JsonConfig(entry["config"], name));
    REQUIRE(s.ok());
    const Tensor betas = Get(st, name + ".betas");
    const Tensor ac = Get(st, name + ".alphas_cumprod");
    REQUIRE(s->betas().size() == betas.size());
    REQUIRE(s->alphas_cumprod().size() == ac.size());
    const size_t exact_b = CountExact(s->betas(), betas), exact_a = CountExact(s->alphas_cumprod(), ac);
    const double err_b = MaxAbs(s->betas(), betas), err_a = MaxAbs(s->alphas_cumprod(), ac);
    std::printf("[scheduler-ref] schedules %s: betas bit-exact %zu/%zu (max_abs_err %.3g), alphas_cumprod bit-exact "
                "%zu/%zu (max_abs_err %.3g)\n",
                name.c_str(), exact_b, betas.size(), err_b, exact_a, ac.size(), err_a);
    // README tolerance (float32 vs float64 tables): betas within 2.2e-8, alphas_cumprod within 4.7e-7.
    CHECK(err_b <= 2.2e-8);
    CHECK(err_a <= 4.7e-7);
    // Measured: every table is bit-exact, natively and in wasm (torch's vectorised linspace emulated).
    CHECK(exact_b == betas.size());
    CHECK(exact_a == ac.size());
    // DDIMScheduler builds identical tables.
    auto d = DDIMScheduler::FromConfig(JsonConfig(entry["config"], name));
    REQUIRE(d.ok());
    CHECK(d->betas() == s->betas());
    CHECK(d->alphas_cumprod() == s->alphas_cumprod());
  }
}

TEST_CASE("TorchLinspaceF32 end points and small sizes", "[diffusion][schedules]") {
  CHECK(TorchLinspaceF32(0.0, 1.0, 0).empty());
  CHECK(TorchLinspaceF32(0.25, 1.0, 1) == std::vector<float>{0.25f});
  CHECK(TorchLinspaceF32(0.0, 1.0, 3) == std::vector<float>{0.0f, 0.5f, 1.0f});
  const std::vector<float> v = TorchLinspaceF32(-6.0, 6.0, 1000);
  CHECK(v.front() == -6.0f);
  CHECK(v.back() == 6.0f);
}

TEST_CASE("rescale_betas_zero_snr gives zero terminal SNR", "[diffusion][schedules]") {
  auto s = DDPMScheduler::FromJson(R"({"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012,
                                       "rescale_betas_zero_snr": true})");
  REQUIRE(s.ok());
  CHECK(s->alphas_cumprod().back() < 1e-9f);
  auto plain = DDPMScheduler::FromJson(R"({"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012})");
  REQUIRE(plain.ok());
  // The first alpha_bar keeps its value (up to float32 rounding of the rescale).
  CHECK(std::fabs(s->alphas_cumprod()[0] - plain->alphas_cumprod()[0]) < 1e-6f);
}

TEST_CASE("sigmoid and trained_betas schedules", "[diffusion][schedules]") {
  auto s = DDPMScheduler::FromJson(R"({"beta_schedule": "sigmoid", "num_train_timesteps": 100})");
  REQUIRE(s.ok());
  REQUIRE(s->betas().size() == 100);
  // sigmoid(-6)*(0.02-1e-4)+1e-4 and sigmoid(6)*(...)+1e-4
  CHECK(s->betas().front() == Approx(1e-4 + 0.0199 / (1 + std::exp(6.0))).epsilon(1e-6));
  CHECK(s->betas().back() == Approx(1e-4 + 0.0199 / (1 + std::exp(-6.0))).epsilon(1e-6));
  auto t = DDPMScheduler::FromJson(R"({"num_train_timesteps": 3, "trained_betas": [0.1, 0.2, 0.5]})");
  REQUIRE(t.ok());
  CHECK(t->betas() == std::vector<float>{0.1f, 0.2f, 0.5f});
  CHECK(t->alphas_cumprod()[2] == static_cast<float>(double(0.9f) * double(0.8f) * double(0.5f)));
}
