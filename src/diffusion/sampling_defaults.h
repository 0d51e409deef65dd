// sampling_defaults.json: a pipeline folder's recommended sampling settings, a small file beside
// model_index.json that diffusers ignores (it loads only the files model_index.json names). Whoever
// trained or studied the model writes it (models/README.md says how the shipped values were chosen);
// `ddpm sample`, `ddpm info`, the JS API and the demo use each value wherever the caller gives none:
//   {"scheduler": "dpmpp", "steps": 20, "eta": 0.0, "guidance_scale": 2.0, "guidance_interval": [100, 550],
//    "inpaint": {"steps": 50, "jump_length": 10, "jump_n_sample": 5}}
// Every key is optional; a folder without the file gets the built-in defaults below. "inpaint" is RePaint's
// schedule for `ddpm inpaint` and the JS inpaint calls (diffusers' RePaintPipeline defaults when absent).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "diffusion/pipeline_types.h"

namespace ddpm {

inline constexpr const char* kSamplingDefaultsFile = "sampling_defaults.json";

// RePaint's schedule: denoising steps, steps per jump back up, times each jump is taken.
struct InpaintSchedule {
  int steps = 250;
  int jump_length = 10;
  int jump_n_sample = 10;
};

struct SamplingDefaults {
  std::string scheduler = "ddim";  // ddpm | ddim | dpmpp
  int steps = 50;                  // (the built-in default for the scheduler when the file names only that)
  double eta = 0.0;
  double guidance_scale = 1.0;
  GuidanceInterval guidance_interval;  // [lo, hi] in the file; absent = every timestep
  InpaintSchedule inpaint;
  std::string source;              // the file the values came from; empty for the built-ins

  // "dpmpp, 20 steps, eta 0, guidance scale 2 (from models/x/sampling_defaults.json)"
  std::string Describe() const;
  std::string ToJson() const;
};

// What a caller chose; unset = not said.
struct SamplingChoice {
  std::optional<std::string> scheduler;
  std::optional<int> steps;
  std::optional<double> eta, guidance_scale;
  std::optional<GuidanceInterval> guidance_interval;
};

// The one rule for what a run uses (CLI, JS API, Generator): each value the caller gave, else the
// model's. A caller who names a scheduler but no step count gets that scheduler's built-in count
// (DefaultSampleSteps), not the model's, which was chosen for the model's own scheduler.
SamplingDefaults ResolveSampling(const SamplingDefaults& model, const SamplingChoice& given);

// RePaint's schedule for a run: each value the caller gave (unset = not said), else the model's.
InpaintSchedule ResolveInpaint(const SamplingDefaults& model, std::optional<int> steps, std::optional<int> jump_length,
                               std::optional<int> jump_n_sample);

// The ranges every sampler accepts, checked before any work starts (the file, the CLI's options and the JS
// options alike): scheduler one of ddpm/ddim/dpmpp, eta in [0, 1], guidance scale finite and >= 0, guidance
// interval 0 <= lo <= hi. Steps are
// checked by Sample(), which knows the model's num_train_timesteps (the file's own check is steps >= 1).
Status CheckSamplingSettings(const SamplingDefaults& s);

// Parses the file's text; a wrong type or value is an error naming the key and the valid range.
Expected<SamplingDefaults> ParseSamplingDefaults(const std::string& text, const std::string& source);
// `root`/sampling_defaults.json, or the built-in defaults when the folder has none.
Expected<SamplingDefaults> ReadSamplingDefaults(const std::string& root);

}  // namespace ddpm
