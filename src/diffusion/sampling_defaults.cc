#include "diffusion/sampling_defaults.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "diffusion/pipeline.h"
#include "io/file_util.h"
#include "io/json_config.h"

namespace ddpm {

std::string SamplingDefaults::Describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s, %d steps, eta %g, guidance scale %g", scheduler.c_str(), steps, eta,
                guidance_scale);
  return std::string(buf) + (source.empty() ? " (built-in defaults)" : " (from " + source + ")");
}

std::string SamplingDefaults::ToJson() const {
  return nlohmann::json{{"scheduler", scheduler}, {"steps", steps}, {"eta", eta}, {"guidance_scale", guidance_scale}}
      .dump();
}

SamplingDefaults ResolveSampling(const SamplingDefaults& model, const SamplingChoice& given) {
  SamplingDefaults r = model;
  if (given.scheduler) {
    r.scheduler = *given.scheduler;
    if (*given.scheduler != model.scheduler) r.steps = DefaultSampleSteps(r.scheduler);
  }
  if (given.steps) r.steps = *given.steps;
  if (given.eta) r.eta = *given.eta;
  if (given.guidance_scale) r.guidance_scale = *given.guidance_scale;
  return r;
}

Expected<SamplingDefaults> ParseSamplingDefaults(const std::string& text, const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig j, JsonConfig::Parse(text, source));
  if (!j.raw().is_object()) return ParseError(source + ": expected a JSON object");
  SamplingDefaults d;
  d.source = source;
  DDPM_RETURN_IF_ERROR(j.GetEnum("scheduler", kSamplerNames, &d.scheduler));
  d.steps = DefaultSampleSteps(d.scheduler);
  DDPM_RETURN_IF_ERROR(j.GetInt("steps", &d.steps));
  DDPM_RETURN_IF_ERROR(j.GetDouble("eta", &d.eta));
  DDPM_RETURN_IF_ERROR(j.GetDouble("guidance_scale", &d.guidance_scale));
  // The same ranges the samplers accept (the upper step bound is the model's num_train_timesteps,
  // checked when sampling).
  if (d.steps < 1) return j.Error("steps", "must be at least 1, got " + std::to_string(d.steps));
  if (!(d.eta >= 0 && d.eta <= 1)) return j.Error("eta", "must be in [0, 1]");
  if (!std::isfinite(d.guidance_scale) || d.guidance_scale < 0)
    return j.Error("guidance_scale", "must be a finite number >= 0 (1 = no guidance)");
  return d;
}

Expected<SamplingDefaults> ReadSamplingDefaults(const std::string& root) {
  const std::string path = JoinPath(root, kSamplingDefaultsFile);
  if (!FileExists(path)) return SamplingDefaults{};
  DDPM_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  return ParseSamplingDefaults(text, path);
}

}  // namespace ddpm
