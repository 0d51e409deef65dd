// sampling_defaults.json: values read, absent keys defaulted, bad values named; a folder without the
// file gets the built-in defaults.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "diffusion/sampling_defaults.h"

using namespace ddpm;

namespace {
bool Mentions(const Status& s, const std::string& part) { return s.message().find(part) != std::string::npos; }
}  // namespace

TEST_CASE("ParseSamplingDefaults reads every key and defaults the absent ones", "[diffusion][defaults]") {
  auto d = ParseSamplingDefaults(R"({"scheduler": "dpmpp", "steps": 25, "eta": 0.5, "guidance_scale": 2.5})", "x.json");
  REQUIRE(d.ok());
  CHECK(d->scheduler == "dpmpp");
  CHECK(d->steps == 25);
  CHECK(d->eta == 0.5);
  CHECK(d->guidance_scale == 2.5);
  CHECK(d->Describe() == "dpmpp, 25 steps, eta 0.5, guidance scale 2.5 (from x.json)");
  // Only a scheduler: its own step count (20 for DPM-Solver++), no guidance.
  auto only = ParseSamplingDefaults(R"({"scheduler": "dpmpp"})", "x.json");
  REQUIRE(only.ok());
  CHECK(only->steps == 20);
  CHECK(only->guidance_scale == 1.0);
  // What ToJson writes reads back the same.
  auto again = ParseSamplingDefaults(d->ToJson(), "y.json");
  REQUIRE(again.ok());
  CHECK(again->Describe() == "dpmpp, 25 steps, eta 0.5, guidance scale 2.5 (from y.json)");
}

TEST_CASE("ParseSamplingDefaults names the key of a bad value", "[diffusion][defaults]") {
  struct Case {
    const char* text;
    const char* mentions;
  };
  for (const Case& c : {Case{R"({"scheduler": "euler"})", "must be one of ddpm, ddim, dpmpp"},
                        Case{R"({"steps": 0})", "steps"}, Case{R"({"steps": "ten"})", "steps"},
                        Case{R"({"eta": 2})", "eta"}, Case{R"({"guidance_scale": -1})", "guidance scale -1"},
                        Case{R"([1, 2])", "JSON object"}, Case{R"({"steps": )", "x.json"}}) {
    INFO(c.text);
    auto d = ParseSamplingDefaults(c.text, "x.json");
    REQUIRE_FALSE(d.ok());
    INFO(d.status().message());
    CHECK(Mentions(d.status(), c.mentions));
  }
}

TEST_CASE("ReadSamplingDefaults: the folder's file, or the built-ins without one", "[diffusion][defaults]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ddpm_defaults_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto none = ReadSamplingDefaults(dir.string());
  REQUIRE(none.ok());
  CHECK(none->source.empty());
  CHECK(none->scheduler == "ddim");
  CHECK(none->steps == 50);
  std::ofstream(dir / kSamplingDefaultsFile) << R"({"scheduler": "ddpm", "guidance_scale": 3})";
  auto file = ReadSamplingDefaults(dir.string());
  REQUIRE(file.ok());
  CHECK(file->scheduler == "ddpm");
  CHECK(file->steps == 1000);
  CHECK(file->guidance_scale == 3.0);
  CHECK(file->source == (dir / kSamplingDefaultsFile).string());
  fs::remove_all(dir);
}

TEST_CASE("ResolveSampling: the caller's values, else the model's; a named scheduler brings its own steps",
          "[diffusion][defaults]") {
  SamplingDefaults model;
  model.scheduler = "dpmpp";
  model.steps = 15;
  model.guidance_scale = 2.0;
  CHECK(ResolveSampling(model, {}).Describe() == model.Describe());
  SamplingChoice ddim;
  ddim.scheduler = "ddim";
  const SamplingDefaults a = ResolveSampling(model, ddim);
  CHECK(a.scheduler == "ddim");
  CHECK(a.steps == 50);              // DDIM's own count, not the 15 chosen for DPM-Solver++
  CHECK(a.guidance_scale == 2.0);    // still the model's
  SamplingChoice same;
  same.scheduler = "dpmpp";
  CHECK(ResolveSampling(model, same).steps == 15);  // naming the model's own scheduler keeps its steps
  SamplingChoice all = ddim;
  all.steps = 7;
  all.eta = 1.0;
  all.guidance_scale = 1.0;
  const SamplingDefaults b = ResolveSampling(model, all);
  CHECK(b.steps == 7);
  CHECK(b.eta == 1.0);
  CHECK(b.guidance_scale == 1.0);
}

TEST_CASE("sampling_defaults.json's inpaint schedule: read, defaulted to diffusers', checked, overridden by the caller",
          "[diffusion][defaults]") {
  auto none = ParseSamplingDefaults(R"({"scheduler": "ddim"})", "x.json");
  REQUIRE(none.ok());
  CHECK(none->inpaint.steps == 250);  // RePaintPipeline's defaults
  CHECK(none->inpaint.jump_length == 10);
  CHECK(none->inpaint.jump_n_sample == 10);
  auto d = ParseSamplingDefaults(R"({"inpaint": {"steps": 50, "jump_length": 5, "jump_n_sample": 4}})", "x.json");
  REQUIRE(d.ok());
  CHECK(d->inpaint.steps == 50);
  CHECK(d->inpaint.jump_length == 5);
  CHECK(d->inpaint.jump_n_sample == 4);
  auto again = ParseSamplingDefaults(d->ToJson(), "y.json");  // ToJson keeps it
  REQUIRE(again.ok());
  CHECK(again->inpaint.jump_n_sample == 4);
  const InpaintSchedule r = ResolveInpaint(*d, 80, std::nullopt, 2);
  CHECK(r.steps == 80);
  CHECK(r.jump_length == 5);
  CHECK(r.jump_n_sample == 2);
  CHECK(Mentions(ParseSamplingDefaults(R"({"inpaint": {"jump_length": 0}})", "x.json").status(), "inpaint jump_length 0 must be at least 1"));
  CHECK(Mentions(ParseSamplingDefaults(R"({"inpaint": 5})", "x.json").status(), "inpaint must be an object"));
  CHECK(Mentions(ParseSamplingDefaults(R"({"inpaint": {"steps": "many"}})", "x.json").status(), "steps"));
}

TEST_CASE("sampling_defaults.json's guidance interval: read, written back, checked, overridden by the caller",
          "[diffusion][defaults]") {
  auto d = ParseSamplingDefaults(R"({"guidance_scale": 2, "guidance_interval": [100, 550]})", "x.json");
  REQUIRE(d.ok());
  CHECK(d->guidance_interval.lo == 100);
  CHECK(d->guidance_interval.hi == 550);
  CHECK(d->Describe() == "ddim, 50 steps, eta 0, guidance scale 2 at t in [100, 550] (from x.json)");
  auto again = ParseSamplingDefaults(d->ToJson(), "x.json");
  REQUIRE(again.ok());
  CHECK(again->Describe() == d->Describe());
  // Absent: every timestep, and ToJson writes no key for it.
  auto all = ParseSamplingDefaults(R"({"guidance_scale": 2})", "x.json");
  REQUIRE(all.ok());
  CHECK(all->guidance_interval.IsAll());
  CHECK(all->ToJson().find("guidance_interval") == std::string::npos);
  for (const char* bad : {R"({"guidance_interval": [5, 2]})", R"({"guidance_interval": [-1, 2]})",
                          R"({"guidance_interval": [1]})", R"({"guidance_interval": [1.5, 2]})",
                          R"({"guidance_interval": "100-550"})"}) {
    INFO(bad);
    auto r = ParseSamplingDefaults(bad, "x.json");
    REQUIRE_FALSE(r.ok());
    CHECK(Mentions(r.status(), "guidance"));
    CHECK(Mentions(r.status(), "interval"));
  }
  SamplingChoice given;
  given.guidance_interval = GuidanceInterval{0, 999};
  CHECK(ResolveSampling(*d, given).guidance_interval.hi == 999);
  CHECK(ResolveSampling(*d, {}).guidance_interval.lo == 100);  // not given: the model's
}
