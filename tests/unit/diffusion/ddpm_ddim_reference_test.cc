// DDPMScheduler and DDIMScheduler against the diffusers v0.31.0 dumps in shared/reference
// (ddpm_step, ddim_step, ddim_timesteps, add_noise, get_velocity).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddpm.h"
#include "unit/diffusion/scheduler_test_util.h"

using namespace ddpm;
using namespace ddpm::test;

namespace {
// README "Tolerances observed", schedulers: code with its own schedule may differ by
// |a-b| <= 5e-4 + 1e-4|b|. Code that mirrors diffusers' float32 order should be far tighter; the
// summary lines report how tight.
constexpr double kAtol = 5e-4, kRtol = 1e-4;
}  // namespace

namespace {

// DDPM's PreviousTimestep can fail (custom timesteps), DDIM's cannot.
int64_t PrevOf(int64_t t) { return t; }
int64_t PrevOf(const Expected<int64_t>& t) { return t.value(); }

// Every case of `<name>.json` through Scheduler::Step with the case's noise (`noise_key`) and the
// options `configure` reads from the case; prev_sample and pred_original_sample against diffusers.
template <class Scheduler, class Configure>
void CheckStepCases(const std::string& name, const std::string& noise_key, Configure configure) {
  const nlohmann::json ref = LoadReferenceJson(name + ".json");
  const SafeTensors st = LoadReferenceTensors(name + ".safetensors");
  ErrorRecord prev_err, x0_err;
  for (const auto& c : ref["cases"]) {
    const std::string id = c["id"];
    Scheduler s = BuildScheduler<Scheduler>(c["config"], id);
    REQUIRE(s.SetTimesteps(c["num_inference_steps"].get<int64_t>()).ok());
    const int64_t t = c["timestep"];
    CHECK(PrevOf(s.PreviousTimestep(t)) == c["prev_timestep"].get<int64_t>());
    const Tensor noise = Get(st, id + "/" + noise_key);
    StepOptions opt;
    opt.noise = &noise;
    configure(c, &opt);
    auto out = s.Step(Get(st, id + "/model_output"), t, Get(st, id + "/sample"), opt);
    INFO(id << ": " << out.status().message());
    REQUIRE(out.ok());
    prev_err.Check(out->prev_sample, Get(st, id + "/prev_sample"), kAtol, kRtol, id + "/prev_sample");
    x0_err.Check(out->pred_original_sample, Get(st, id + "/pred_original_sample"), kAtol, kRtol,
                 id + "/pred_original_sample");
  }
  prev_err.Print(name + " prev_sample");
  x0_err.Print(name + " pred_original_sample");
}

}  // namespace

TEST_CASE("DDPMScheduler.step matches diffusers on every ddpm_step case", "[diffusion][ddpm][reference]") {
  CheckStepCases<DDPMScheduler>("ddpm_step", "noise", [](const nlohmann::json&, StepOptions*) {});
}

TEST_CASE("DDIMScheduler.step matches diffusers on every ddim_step case", "[diffusion][ddim][reference]") {
  CheckStepCases<DDIMScheduler>("ddim_step", "variance_noise", [](const nlohmann::json& c, StepOptions* opt) {
    opt->eta = c["eta"];
    opt->use_clipped_model_output = c["use_clipped_model_output"];
  });
}

TEST_CASE("DDPM and DDIM timesteps equal diffusers' for every spacing", "[diffusion][timesteps][reference]") {
  const nlohmann::json ref = LoadReferenceJson("ddim_timesteps.json");
  int cases = 0;
  for (const auto& c : ref["cases"]) {
    const std::string who = c["scheduler"];
    const int64_t n = c["num_inference_steps"];
    const std::vector<int64_t> expected = c["timesteps"].get<std::vector<int64_t>>();
    INFO(who << " " << c["config"].dump() << " n=" << n);
    std::vector<int64_t> got;
    if (who == "DDIMScheduler") {
      DDIMScheduler s = BuildScheduler<DDIMScheduler>(c["config"], who);
      REQUIRE(s.SetTimesteps(n).ok());
      got = s.timesteps();
    } else {
      REQUIRE(who == "DDPMScheduler");
      DDPMScheduler s = BuildScheduler<DDPMScheduler>(c["config"], who);
      REQUIRE(s.SetTimesteps(n).ok());
      got = s.timesteps();
    }
    CHECK(got == expected);  // timesteps are integers: exact
    ++cases;
  }
  std::printf("[scheduler-ref] ddim_timesteps: %d cases compared exactly\n", cases);
}

TEST_CASE("add_noise and get_velocity match diffusers", "[diffusion][ddpm][reference]") {
  for (const char* file : {"add_noise", "get_velocity"}) {
    const bool velocity = std::string(file) == "get_velocity";
    const nlohmann::json ref = LoadReferenceJson(std::string(file) + ".json");
    const SafeTensors st = LoadReferenceTensors(std::string(file) + ".safetensors");
    ErrorRecord err;
    for (const auto& c : ref["cases"]) {
      const std::string id = c["id"];
      DDPMScheduler s = BuildScheduler<DDPMScheduler>(c["config"], id);
      auto ts = st.GetInt(id + "/timesteps");
      REQUIRE(ts.ok());
      CHECK(*ts == c["timesteps"].get<std::vector<int64_t>>());
      const Tensor noise = Get(st, id + "/noise");
      auto out = velocity ? s.GetVelocity(Get(st, id + "/sample"), noise, *ts)
                          : s.AddNoise(Get(st, id + "/original_samples"), noise, *ts);
      INFO(id << ": " << out.status().message());
      REQUIRE(out.ok());
      // DDIMScheduler shares the code and the table; check it gives the same tensor.
      DDIMScheduler d = BuildScheduler<DDIMScheduler>(c["config"], id);
      auto out_ddim = velocity ? d.GetVelocity(Get(st, id + "/sample"), noise, *ts)
                               : d.AddNoise(Get(st, id + "/original_samples"), noise, *ts);
      REQUIRE(out_ddim.ok());
      CHECK(std::memcmp(out_ddim->data(), out->data(), out->size() * sizeof(float)) == 0);
      err.Check(*out, Get(st, id + (velocity ? "/velocity" : "/noisy_samples")), kAtol, kRtol, id);
    }
    err.Print(file);
  }
}
