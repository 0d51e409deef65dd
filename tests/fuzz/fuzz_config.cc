// libFuzzer target: JsonConfig::Parse on arbitrary text, then every getter on every key it holds (and
// on keys it lacks), plus the diffusers schedulers' FromConfig when they are built in.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "io/json_config.h"

#if __has_include("diffusion/scheduling_ddpm.h")
#include "diffusion/scheduling_ddpm.h"
#define DDPM_FUZZ_HAVE_DDPM 1
#endif
#if __has_include("diffusion/scheduling_ddim.h")
#include "diffusion/scheduling_ddim.h"
#define DDPM_FUZZ_HAVE_DDIM 1
#endif
#if __has_include("diffusion/scheduling_dpmsolver_multistep.h")
#include "diffusion/scheduling_dpmsolver_multistep.h"
#define DDPM_FUZZ_HAVE_DPM 1
#endif

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// An error must name the source and the key.
void CheckError(const ddpm::Status& s, const std::string& key) {
  if (s.ok()) return;
  Check(s.message().rfind("fuzz.json: ", 0) == 0);
  Check(s.message().find("'" + key + "'") != std::string::npos);
}

void AllGetters(const ddpm::JsonConfig& c, const std::string& key) {
  bool b = false;
  int64_t i64 = 0;
  int i32 = 0;
  double d = 0;
  std::string s;
  std::vector<int64_t> il;
  std::vector<double> dl;
  std::vector<std::string> sl;
  std::optional<int64_t> oi;
  CheckError(c.GetBool(key, &b), key);
  CheckError(c.GetInt(key, &i64), key);
  CheckError(c.GetInt(key, &i32), key);
  CheckError(c.GetDouble(key, &d), key);
  CheckError(c.GetString(key, &s), key);
  CheckError(c.GetEnum(key, {"linear", "scaled_linear", "squaredcos_cap_v2"}, &s), key);
  CheckError(c.GetIntList(key, &il), key);
  CheckError(c.GetDoubleList(key, &dl), key);
  CheckError(c.GetStringList(key, &sl), key);
  CheckError(c.GetOptionalInt(key, &oi), key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = ddpm::JsonConfig::Parse(text, "fuzz.json");
  if (!c.ok()) {
    Check(c.status().message().rfind("fuzz.json: ", 0) == 0);
    return 0;
  }
  for (auto it = c->raw().begin(); it != c->raw().end(); ++it) AllGetters(*c, it.key());
  AllGetters(*c, "num_train_timesteps");  // usually absent: the getters must leave defaults alone
  // A scheduler that accepts the config must also accept a small number of inference steps or
  // report why not; either way without crashing.
  const int steps = 1 + static_cast<int>(size % 50);
#ifdef DDPM_FUZZ_HAVE_DDPM
  if (auto s = ddpm::DDPMScheduler::FromConfig(*c); s.ok()) (void)s->SetTimesteps(steps);
#endif
#ifdef DDPM_FUZZ_HAVE_DDIM
  if (auto s = ddpm::DDIMScheduler::FromConfig(*c); s.ok()) (void)s->SetTimesteps(steps);
#endif
#ifdef DDPM_FUZZ_HAVE_DPM
  if (auto s = ddpm::DPMSolverMultistepScheduler::FromConfig(*c); s.ok()) (void)s->SetTimesteps(steps);
#endif
  return 0;
}
