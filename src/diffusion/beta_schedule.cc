#include "diffusion/beta_schedule.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

// torch 1.13's linspace_kernel (aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp) computes
// step = (end - start) / (steps - 1) in float; an index below steps/2 is start + step*idx, the others
// end - step*(steps - idx - 1). The vectorised loop handles two vectors of 8 floats (AVX2) per
// iteration: each vector takes one base from that rule at its first index (compiled with FMA
// contraction, so the base is a fused multiply-add), then lane i is base + float(i)*step, unfused.
// The tail that does not fill two vectors uses the scalar rule. This reproduces the reference
// tables (schedules.safetensors) bit for bit; width 16 (AVX-512) or unfused bases do not.
std::vector<float> TorchLinspaceF32(double start_d, double end_d, int64_t steps) {
  std::vector<float> out(std::max<int64_t>(steps, 0));
  if (steps <= 0) return out;
  const float start = static_cast<float>(start_d), end = static_cast<float>(end_d);
  if (steps == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  auto at = [&](int64_t idx) {  // the scalar rule, fused as the compiler emits it
    return idx < halfway ? std::fmaf(step, static_cast<float>(idx), start)
                         : std::fmaf(-step, static_cast<float>(steps - idx - 1), end);
  };
  constexpr int64_t kLanes = 8;
  const int64_t vectorised = (steps / (2 * kLanes)) * (2 * kLanes);  // whole pairs of vectors only
  for (int64_t i = 0; i < vectorised; i += kLanes) {
    const float base = at(i);
    out[i] = base;
    for (int64_t lane = 1; lane < kLanes; ++lane) out[i + lane] = base + static_cast<float>(lane) * step;
  }
  for (int64_t i = vectorised; i < steps; ++i) out[i] = at(i);
  return out;
}

std::vector<float> BetasForAlphaBar(int64_t num_train_timesteps, double max_beta) {
  auto alpha_bar = [](double t) {
    const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
    return c * c;
  };
  std::vector<float> betas(num_train_timesteps);
  const double n = static_cast<double>(num_train_timesteps);
  for (int64_t i = 0; i < num_train_timesteps; ++i) {
    const double t1 = static_cast<double>(i) / n, t2 = static_cast<double>(i + 1) / n;
    betas[i] = static_cast<float>(std::min(1 - alpha_bar(t2) / alpha_bar(t1), max_beta));
  }
  return betas;
}

std::vector<float> CumprodF32(const std::vector<float>& values) {
  std::vector<float> out(values.size());
  double acc = 1.0;
  for (size_t i = 0; i < values.size(); ++i) {
    acc *= static_cast<double>(values[i]);
    out[i] = static_cast<float>(acc);
  }
  return out;
}

namespace {
std::vector<float> OneMinus(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = 1.0f - v[i];
  return out;
}
}  // namespace

std::vector<float> RescaleZeroTerminalSnr(const std::vector<float>& betas) {
  if (betas.size() < 2) return betas;
  std::vector<float> s = CumprodF32(OneMinus(betas));  // alphas_bar_sqrt
  for (float& v : s) v = std::sqrt(v);
  const float s0 = s.front(), sT = s.back();
  for (float& v : s) v -= sT;  // shift so the last timestep is zero
  const float scale = s0 / (s0 - sT);
  for (float& v : s) v *= scale;  // scale so the first timestep is back to the old value
  std::vector<float> alphas(s.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = s[i] * s[i];  // alphas_bar
  alphas[0] = s[0];
  for (size_t i = 1; i < s.size(); ++i) alphas[i] = s[i] / s[i - 1];  // revert cumprod
  return OneMinus(alphas);
}

Expected<NoiseSchedule> MakeNoiseSchedule(const BetaScheduleSpec& spec, const std::vector<std::string>& allowed) {
  const int64_t n = spec.num_train_timesteps;
  // The bound keeps a hostile config from allocating gigabytes; real models use 1000 or 4000.
  if (n < 1 || n > 1000000) {
    return InvalidArgument("num_train_timesteps must be in [1, 1000000], got " + std::to_string(n));
  }
  NoiseSchedule s;
  if (!spec.trained_betas.empty()) {
    if (static_cast<int64_t>(spec.trained_betas.size()) != n) {
      return InvalidArgument("trained_betas has " + std::to_string(spec.trained_betas.size()) +
                             " entries but num_train_timesteps is " + std::to_string(n));
    }
    for (double b : spec.trained_betas) s.betas.push_back(static_cast<float>(b));
  } else {
    if (std::find(allowed.begin(), allowed.end(), spec.beta_schedule) == allowed.end()) {
      std::string list;
      for (size_t i = 0; i < allowed.size(); ++i) list += (i ? ", " : "") + allowed[i];
      return InvalidArgument("beta_schedule '" + spec.beta_schedule + "' must be one of " + list);
    }
    if (spec.beta_schedule == "linear") {
      s.betas = TorchLinspaceF32(spec.beta_start, spec.beta_end, n);
    } else if (spec.beta_schedule == "scaled_linear") {
      // linspace of the square roots (taken in double, as Python does), squared in float32.
      s.betas = TorchLinspaceF32(std::sqrt(spec.beta_start), std::sqrt(spec.beta_end), n);
      for (float& b : s.betas) b = b * b;
    } else if (spec.beta_schedule == "squaredcos_cap_v2") {
      s.betas = BetasForAlphaBar(n);
    } else {  // sigmoid (GeoDiff): sigmoid(linspace(-6, 6)) * (end - start) + start, in float32
      s.betas = TorchLinspaceF32(-6.0, 6.0, n);
      const float range = static_cast<float>(spec.beta_end - spec.beta_start);
      const float start = static_cast<float>(spec.beta_start);
      for (float& b : s.betas) {
        const float sig = 1.0f / (1.0f + static_cast<float>(std::exp(-static_cast<double>(b))));
        b = sig * range + start;
      }
    }
  }
  if (spec.rescale_betas_zero_snr) s.betas = RescaleZeroTerminalSnr(s.betas);
  s.alphas = OneMinus(s.betas);
  s.alphas_cumprod = CumprodF32(s.alphas);
  return s;
}

}  // namespace ddpm
