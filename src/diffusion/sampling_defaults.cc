#include "diffusion/sampling_defaults.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include <nlohmann/json.hpp>

#include "diffusion/pipeline.h"
#include "io/file_util.h"
#include "io/json_config.h"

namespace ddpm {

std::string SamplingDefaults::Describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s, %d steps, eta %g, guidance scale %g", scheduler.c_str(), steps, eta,
                guidance_scale);
  const std::string interval = guidance_interval.IsAll() ? "" : " at " + guidance_interval.Describe();
  return std::string(buf) + interval + (source.empty() ? " (built-in defaults)" : " (from " + source + ")");
}

std::string SamplingDefaults::ToJson() const {
  const nlohmann::json repaint{
      {"steps", inpaint.steps}, {"jump_length", inpaint.jump_length}, {"jump_n_sample", inpaint.jump_n_sample}};
  nlohmann::json j{{"scheduler", scheduler}, {"steps", steps}, {"eta", eta}, {"guidance_scale", guidance_scale},
                   {"inpaint", repaint}};
  if (!guidance_interval.IsAll()) j["guidance_interval"] = {guidance_interval.lo, guidance_interval.hi};
  return j.dump();
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
  if (given.guidance_interval) r.guidance_interval = *given.guidance_interval;
  return r;
}

InpaintSchedule ResolveInpaint(const SamplingDefaults& model, std::optional<int> steps, std::optional<int> jump_length,
                               std::optional<int> jump_n_sample) {
  InpaintSchedule r = model.inpaint;
  if (steps) r.steps = *steps;
  if (jump_length) r.jump_length = *jump_length;
  if (jump_n_sample) r.jump_n_sample = *jump_n_sample;
  return r;
}

Status CheckSamplingSettings(const SamplingDefaults& s) {
  bool known = false;
  for (const std::string& name : kSamplerNames) known |= name == s.scheduler;
  std::string list;
  for (size_t i = 0; i < kSamplerNames.size(); ++i) list += (i ? ", " : "") + kSamplerNames[i];
  char num[32];
  std::snprintf(num, sizeof num, "%g", s.eta);
  if (!known) return InvalidArgument("scheduler '" + s.scheduler + "' must be one of " + list);
  if (!(s.eta >= 0 && s.eta <= 1)) return InvalidArgument(std::string("eta ") + num + " must be in [0, 1]");
  std::snprintf(num, sizeof num, "%g", s.guidance_scale);
  if (!std::isfinite(s.guidance_scale) || s.guidance_scale < 0)
    return InvalidArgument(std::string("guidance scale ") + num + " must be a finite number >= 0 (1 = no guidance)");
  const GuidanceInterval& g = s.guidance_interval;
  if (g.lo < 0 || g.hi < g.lo)
    return InvalidArgument("guidance interval [" + std::to_string(g.lo) + ", " + std::to_string(g.hi) +
                           "] must be two timesteps lo <= hi, lo >= 0");
  return Status::Ok();
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
  if (j.Has("guidance_interval")) {
    const nlohmann::json& g = j.raw()["guidance_interval"];
    if (!g.is_array() || g.size() != 2 || !g[0].is_number_integer() || !g[1].is_number_integer())
      return ParseError(source + ": guidance_interval must be [lo, hi], two integer timesteps");
    d.guidance_interval = {g[0].get<int64_t>(), g[1].get<int64_t>()};
  }
  if (Status st = CheckSamplingSettings(d); !st.ok()) return ParseError(source + ": " + st.message());
  if (d.steps < 1) return ParseError(source + ": steps " + std::to_string(d.steps) + " must be at least 1");
  if (j.Has("inpaint")) {
    if (!j.raw()["inpaint"].is_object()) return ParseError(source + ": inpaint must be an object of RePaint's steps, jump_length, jump_n_sample");
    const JsonConfig repaint(j.raw()["inpaint"], source + " inpaint");
    for (auto [key, value] : {std::pair{"steps", &d.inpaint.steps}, {"jump_length", &d.inpaint.jump_length},
                              {"jump_n_sample", &d.inpaint.jump_n_sample}}) {
      DDPM_RETURN_IF_ERROR(repaint.GetInt(key, value));
      if (*value < 1) return ParseError(source + ": inpaint " + key + " " + std::to_string(*value) + " must be at least 1");
    }
  }
  return d;
}

Expected<SamplingDefaults> ReadSamplingDefaults(const std::string& root) {
  const std::string path = JoinPath(root, kSamplingDefaultsFile);
  if (!FileExists(path)) return SamplingDefaults{};
  DDPM_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  return ParseSamplingDefaults(text, path);
}

}  // namespace ddpm
