// DPMSolverMultistepScheduler (dpmsolver++) against diffusers v0.31.0: dpmsolver_timesteps.json and
// the sampling loops of dpmsolver.safetensors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "diffusion/scheduling_dpmsolver_multistep.h"
#include "unit/diffusion/scheduler_test_util.h"

using namespace ddpm;
using namespace ddpm::test;

namespace {

DPMSolverMultistepScheduler BuildDpm(const nlohmann::json& config, const std::string& id) {
  auto s = DPMSolverMultistepScheduler::FromConfig(JsonConfig(config, id));
  INFO(id << ": " << s.status().message());
  REQUIRE(s.ok());
  return std::move(s).value();
}

// Slice i of a [n, ...] tensor.
Tensor Slice(const Tensor& t, int64_t i) {
  Shape inner(t.shape().begin() + 1, t.shape().end());
  const size_t per = t.size() / static_cast<size_t>(t.dim(0));
  return Tensor(inner, t.data() + i * per);
}

double MaxAbsOf(const Tensor& t) {
  double m = 0;
  for (size_t i = 0; i < t.size(); ++i) m = std::fmax(m, std::fabs(double(t[i])));
  return m;
}

}  // namespace

TEST_CASE("DPM-Solver++ timesteps and sigmas equal diffusers'", "[diffusion][dpmsolver][reference]") {
  const nlohmann::json ref = LoadReferenceJson("dpmsolver_timesteps.json");
  size_t sig_exact = 0, sig_total = 0;
  double sig_max_rel = 0;
  int cases = 0;
  for (const auto& c : ref["cases"]) {
    const int64_t n = c["num_inference_steps"];
    INFO(c["config"].dump() << " n=" << n);
    DPMSolverMultistepScheduler s = BuildDpm(c["config"], "dpmsolver_timesteps.json");
    REQUIRE(s.SetTimesteps(n).ok());
    CHECK(s.timesteps() == c["timesteps"].get<std::vector<int64_t>>());  // integers: exact
    const std::vector<double> expected = c["sigmas"].get<std::vector<double>>();  // float32 values, exact decimals
    REQUIRE(s.sigmas().size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const float e = static_cast<float>(expected[i]);
      const double rel = std::fabs(double(s.sigmas()[i]) - double(e)) / std::fmax(1e-30, std::fabs(double(e)));
      sig_max_rel = std::fmax(sig_max_rel, e == 0 ? std::fabs(double(s.sigmas()[i])) : rel);
      sig_exact += std::memcmp(&s.sigmas()[i], &e, sizeof(float)) == 0;
      ++sig_total;
      // The sigmas come from the same float32 table (or, for Karras, the same double formula):
      // 1e-6 relative leaves room for one float32 rounding difference.
      CHECK(std::fabs(double(s.sigmas()[i]) - double(e)) <= 1e-6 * std::fabs(double(e)));
    }
    ++cases;
  }
  std::printf("[scheduler-ref] dpmsolver_timesteps: %d cases, timesteps exact; sigmas bit-exact %zu/%zu, max rel err %.3g\n",
              cases, sig_exact, sig_total, sig_max_rel);
}

TEST_CASE("DPM-Solver++ sampling loops match diffusers", "[diffusion][dpmsolver][reference]") {
  const nlohmann::json ref = LoadReferenceJson("dpmsolver.json");
  const SafeTensors st = LoadReferenceTensors("dpmsolver.safetensors");
  ErrorRecord teacher_x0, teacher_samples, loop_samples;
  // README's relative measure: max abs difference / max(1, max|stored sample|), worst case.
  double worst_teacher_rel = 0, worst_loop_rel = 0;
  for (const auto& c : ref["cases"]) {
    const std::string id = c["id"];
    const int64_t n = c["num_inference_steps"];
    const Tensor x_T = Get(st, id + "/x_T");
    const Tensor b = Get(st, id + "/b");
    const Tensor model_outputs = Get(st, id + "/model_output");
    const Tensor x0_ref = Get(st, id + "/x0_pred");
    const Tensor samples_ref = Get(st, id + "/samples");
    const float A = Get(st, id + "/A")[0];
    const std::vector<int> orders = c["solver_order_used"].get<std::vector<int>>();
    // README suggestion: every stored tensor within 1e-5*max(1, max|ref|) (samples reach ~370 here).
    const double scale = std::fmax(1.0, std::fmax(MaxAbsOf(samples_ref), MaxAbsOf(x0_ref)));
    const double atol = 1e-5 * scale;
    ErrorRecord case_teacher, case_loop;

    // Teacher-forced: the stored sample and model output at every step, so each step is checked alone.
    DPMSolverMultistepScheduler s = BuildDpm(c["config"], id);
    REQUIRE(s.SetTimesteps(n).ok());
    REQUIRE(s.num_inference_steps() == n);
    Tensor x = x_T;
    for (int64_t i = 0; i < n; ++i) {
      INFO(id << " step " << i);
      auto out = s.Step(Slice(model_outputs, i), s.timesteps()[i], x);
      REQUIRE(out.ok());
      CHECK(s.last_solver_order() == orders[i]);
      teacher_x0.Check(out->pred_original_sample, Slice(x0_ref, i), atol, 0.0, id + " x0_pred");
      teacher_samples.Check(out->prev_sample, Slice(samples_ref, i), atol, 0.0, id + " sample");
      case_teacher.Check(out->prev_sample, Slice(samples_ref, i), atol, 0.0, id + " sample");
      x = Slice(samples_ref, i);
    }
    worst_teacher_rel = std::fmax(worst_teacher_rel, case_teacher.max_abs / scale);

    // Closed loop: our own tanh stand-in, as a user would run it.
    REQUIRE(s.SetTimesteps(n).ok());
    x = x_T;
    for (int64_t i = 0; i < n; ++i) {
      INFO(id << " closed loop step " << i);
      Tensor mo = Slice(b, i);
      for (size_t k = 0; k < mo.size(); ++k) mo[k] = static_cast<float>(std::tanh(double(A * x[k] + mo[k])));
      auto out = s.Step(mo, s.timesteps()[i], x);
      REQUIRE(out.ok());
      x = std::move(out->prev_sample);
      loop_samples.Check(x, Slice(samples_ref, i), atol, 0.0, id + " closed-loop sample");
      case_loop.Check(x, Slice(samples_ref, i), atol, 0.0, id + " closed-loop sample");
    }
    worst_loop_rel = std::fmax(worst_loop_rel, case_loop.max_abs / scale);
    std::printf("[scheduler-ref] dpmsolver %s: teacher-forced max_abs_err %.3g, closed loop %.3g (max|ref| %.4g)\n",
                id.c_str(), case_teacher.max_abs, case_loop.max_abs, scale);
  }
  teacher_x0.Print("dpmsolver teacher-forced x0_pred");
  teacher_samples.Print("dpmsolver teacher-forced samples");
  loop_samples.Print("dpmsolver closed-loop samples");
  std::printf("[scheduler-ref] dpmsolver: worst max_abs_err / max(1, max|ref|): teacher-forced %.3g, closed loop %.3g\n",
              worst_teacher_rel, worst_loop_rel);
}
