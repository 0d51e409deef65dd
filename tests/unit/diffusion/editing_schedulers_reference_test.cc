// RePaintScheduler and DDIMInverseScheduler against the diffusers v0.31.0 dumps in shared/reference
// (repaint.*, ddim_inverse.*): jump schedules, steps, undo steps, inverse timesteps and steps.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diffusion/scheduling_ddim_inverse.h"
#include "diffusion/scheduling_repaint.h"
#include "unit/diffusion/scheduler_test_util.h"

using namespace ddpm;
using namespace ddpm::test;

namespace {
// README "Tolerances observed", schedulers: float32 code that mirrors diffusers' order is held to
// atol 1e-6; the relative part covers pred_original_sample near t = T, where x0 = (x - ...)/sqrt(a)
// reaches hundreds and one float32 ulp alone is ~1e-5 (and a fused multiply-add may round once less).
constexpr double kAtol = 1e-6, kRtol = 1e-6;
}  // namespace

TEST_CASE("RePaintScheduler jump schedules equal diffusers'", "[diffusion][repaint][reference]") {
  const nlohmann::json ref = LoadReferenceJson("repaint.json");
  int cases = 0;
  for (const auto& c : ref["timesteps"]) {
    nlohmann::json config = {{"num_train_timesteps", c["num_train_timesteps"]}};
    RePaintScheduler s = BuildScheduler<RePaintScheduler>(config, "repaint timesteps");
    const int n = c["num_inference_steps"], jl = c["jump_length"], jn = c["jump_n_sample"];
    INFO("n=" << n << " jump_length=" << jl << " jump_n_sample=" << jn);
    REQUIRE(s.SetTimesteps(n, jl, jn).ok());
    CHECK(s.timesteps() == c["timesteps"].get<std::vector<int64_t>>());  // integers: exact
    ++cases;
  }
  std::printf("[scheduler-ref] repaint timesteps: %d schedules compared exactly\n", cases);
}

TEST_CASE("RePaintScheduler.step matches diffusers on every repaint step case", "[diffusion][repaint][reference]") {
  const nlohmann::json ref = LoadReferenceJson("repaint.json");
  const SafeTensors st = LoadReferenceTensors("repaint.safetensors");
  ErrorRecord prev_err, x0_err;
  for (const auto& c : ref["step_cases"]) {
    const std::string id = c["key"];
    RePaintScheduler s = BuildScheduler<RePaintScheduler>(c["config"], id);
    REQUIRE(s.SetTimesteps(c["num_inference_steps"], c["jump_length"], c["jump_n_sample"]).ok());
    const Tensor noise = Get(st, id + ".noise");
    StepOptions opt;
    opt.noise = &noise;
    auto out = s.Step(Get(st, id + ".model_output"), c["timestep"].get<int64_t>(), Get(st, id + ".sample"),
                      Get(st, id + ".original_image"), Get(st, id + ".mask"), opt);
    INFO(id << ": " << out.status().message());
    REQUIRE(out.ok());
    // tolerance: |a-b| <= kAtol + kRtol*|b| (see kAtol)
    prev_err.Check(out->prev_sample, Get(st, id + ".prev_sample"), kAtol, kRtol, id + ".prev_sample");
    x0_err.Check(out->pred_original_sample, Get(st, id + ".pred_original_sample"), kAtol, kRtol,
                 id + ".pred_original_sample");
  }
  prev_err.Print("repaint step prev_sample");
  x0_err.Print("repaint step pred_original_sample");
}

TEST_CASE("RePaintScheduler.undo_step matches diffusers", "[diffusion][repaint][reference]") {
  const nlohmann::json ref = LoadReferenceJson("repaint.json");
  const SafeTensors st = LoadReferenceTensors("repaint.safetensors");
  ErrorRecord err;
  for (const auto& c : ref["undo_cases"]) {
    const std::string id = c["key"];
    RePaintScheduler s = BuildScheduler<RePaintScheduler>(c["config"], id);
    REQUIRE(s.SetTimesteps(c["num_inference_steps"]).ok());
    CHECK(s.undo_draws() == c["noise_draws"].get<int64_t>());
    const Tensor noise = Get(st, id + ".noise");
    StepOptions opt;
    opt.noise = &noise;
    auto out = s.UndoStep(Get(st, id + ".sample"), c["timestep"].get<int64_t>(), opt);
    INFO(id << ": " << out.status().message());
    REQUIRE(out.ok());
    err.Check(*out, Get(st, id + ".output"), kAtol, kRtol, id);  // |a-b| <= kAtol + kRtol*|b|
  }
  err.Print("repaint undo_step");
}

TEST_CASE("RePaintScheduler refuses bad calls with messages", "[diffusion][repaint]") {
  RePaintScheduler s = BuildScheduler<RePaintScheduler>({{"eta", 0.5}}, "repaint");
  Tensor x({1, 3, 4, 4}), mask({1, 1, 4, 4});
  StepOptions none;
  CHECK(s.Step(x, 10, x, x, mask, none).status().message().find("SetTimesteps") != std::string::npos);
  REQUIRE(s.SetTimesteps(50, 5, 2).ok());
  CHECK(s.Step(Tensor({1, 3, 4, 4}), 980, x, x, mask, none).status().message().find("noise") != std::string::npos);
  CHECK(s.Step(Tensor({1, 3, 4, 4}), 980, x, x, Tensor({1, 2, 4, 4}), none).status().message().find("mask shape") !=
        std::string::npos);
  CHECK(s.UndoStep(x, 980, none).status().message().find("needs noise") != std::string::npos);
  CHECK(s.UndoStep(x, 990, none).status().message().find("leaves") != std::string::npos);
  CHECK(s.SetTimesteps(50, 0, 2).message().find("jump_length") != std::string::npos);
  CHECK(BuildScheduler<RePaintScheduler>({}, "r").SetTimesteps(50, 5, 0).message().find("jump_n_sample") != std::string::npos);
  CHECK(RePaintScheduler::FromConfig(ConfigOf({{"eta", 2.0}}, "r")).status().message().find("eta") !=
        std::string::npos);
  // Drawn noise replays: the same seed gives the same undo.
  PhiloxRng a(7), b(7);
  StepOptions oa, ob;
  oa.rng = &a;
  ob.rng = &b;
  auto ua = s.UndoStep(x, 100, oa), ub = s.UndoStep(x, 100, ob);
  REQUIRE(ua.ok());
  REQUIRE(ub.ok());
  CHECK(std::memcmp(ua->data(), ub->data(), ua->size() * sizeof(float)) == 0);
}

TEST_CASE("DDIMInverseScheduler timesteps equal diffusers'", "[diffusion][ddim_inverse][reference]") {
  const nlohmann::json ref = LoadReferenceJson("ddim_inverse.json");
  int cases = 0;
  for (const auto& c : ref["timesteps"]) {
    DDIMInverseScheduler s = BuildScheduler<DDIMInverseScheduler>(c["config"], "ddim_inverse timesteps");
    INFO(c["config"].dump());
    REQUIRE(s.SetTimesteps(c["num_inference_steps"]).ok());
    CHECK(s.timesteps() == c["timesteps"].get<std::vector<int64_t>>());  // integers: exact
    ++cases;
  }
  std::printf("[scheduler-ref] ddim_inverse timesteps: %d cases compared exactly\n", cases);
}

TEST_CASE("DDIMInverseScheduler.step matches diffusers on every ddim_inverse case",
          "[diffusion][ddim_inverse][reference]") {
  const nlohmann::json ref = LoadReferenceJson("ddim_inverse.json");
  const SafeTensors st = LoadReferenceTensors("ddim_inverse.safetensors");
  ErrorRecord prev_err, x0_err;
  for (const auto& c : ref["step_cases"]) {
    const std::string id = c["key"];
    DDIMInverseScheduler s = BuildScheduler<DDIMInverseScheduler>(c["config"], id);
    REQUIRE(s.SetTimesteps(c["num_inference_steps"]).ok());
    auto out = s.Step(Get(st, id + ".model_output"), c["timestep"].get<int64_t>(), Get(st, id + ".sample"));
    INFO(id << ": " << out.status().message());
    REQUIRE(out.ok());
    // tolerance: |a-b| <= kAtol + kRtol*|b| (see kAtol)
    prev_err.Check(out->prev_sample, Get(st, id + ".prev_sample"), kAtol, kRtol, id + ".prev_sample");
    x0_err.Check(out->pred_original_sample, Get(st, id + ".pred_original_sample"), kAtol, kRtol,
                 id + ".pred_original_sample");
  }
  prev_err.Print("ddim_inverse prev_sample");
  x0_err.Print("ddim_inverse pred_original_sample");
}

TEST_CASE("DDIMInverseScheduler refuses what diffusers cannot compute", "[diffusion][ddim_inverse]") {
  // prediction_type sample with set_alpha_to_one: alpha = 1 at the first step, epsilon = (x - x0)/0.
  DDIMInverseScheduler s =
      BuildScheduler<DDIMInverseScheduler>({{"prediction_type", "sample"}, {"set_alpha_to_one", true}}, "inverse");
  REQUIRE(s.SetTimesteps(10).ok());
  Tensor x({1, 1, 2, 2});
  auto first = s.Step(x, s.timesteps().front(), x);
  CHECK(first.status().message().find("set_alpha_to_one false") != std::string::npos);
  CHECK(s.Step(x, s.timesteps()[1], x).ok());  // later steps are fine
  // linspace spacing is not one of diffusers' choices for the inverse scheduler.
  CHECK(DDIMInverseScheduler::FromConfig(ConfigOf({{"timestep_spacing", "linspace"}}, "inverse"))
            .status()
            .message()
            .find("timestep_spacing") != std::string::npos);
}
