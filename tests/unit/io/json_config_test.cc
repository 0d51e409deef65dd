// JsonConfig: typed getters whose errors name the key; enums list their choices; unknown keys are fine.
#include <catch2/catch.hpp>

#include <string>

#include "io/json_config.h"
#include "support/reference.h"

using namespace ddpm;

namespace {
JsonConfig Parsed(const std::string& text) {
  auto c = JsonConfig::Parse(text, "scheduler_config.json");
  REQUIRE(c.ok());
  return std::move(*c);
}
bool Mentions(const Status& s, const std::string& part) { return s.message().find(part) != std::string::npos; }
}  // namespace

TEST_CASE("JsonConfig: typed getters read values and keep defaults for absent or null keys", "[io][config]") {
  JsonConfig c = Parsed(R"({"num_train_timesteps": 1000, "beta_start": 0.0001, "clip_sample": false,
      "beta_schedule": "linear", "trained_betas": null, "block_out_channels": [32, 64.0],
      "weights": [1, 0.5], "down_block_types": ["DownBlock2D"], "some_future_key": {"x": [1]},
      "_class_name": "DDPMScheduler", "as_float": 50.0, "big": 9007199254740991})");
  int64_t t = 0;
  int ti = 0;
  double beta = 0;
  bool clip = true;
  std::string sched, cls;
  std::vector<int64_t> ch;
  std::vector<double> wts;
  std::vector<std::string> types;
  REQUIRE(c.GetInt("num_train_timesteps", &t).ok());
  REQUIRE(c.GetInt("as_float", &ti).ok());
  REQUIRE(c.GetDouble("beta_start", &beta).ok());
  REQUIRE(c.GetBool("clip_sample", &clip).ok());
  REQUIRE(c.GetEnum("beta_schedule", {"linear", "scaled_linear", "squaredcos_cap_v2"}, &sched).ok());
  REQUIRE(c.GetString("_class_name", &cls).ok());
  REQUIRE(c.GetIntList("block_out_channels", &ch).ok());
  REQUIRE(c.GetDoubleList("weights", &wts).ok());
  REQUIRE(c.GetStringList("down_block_types", &types).ok());
  CHECK(t == 1000);
  CHECK(ti == 50);
  CHECK(beta == 0.0001);
  CHECK(!clip);
  CHECK(sched == "linear");
  CHECK(cls == "DDPMScheduler");
  CHECK(ch == std::vector<int64_t>{32, 64});
  CHECK(wts == std::vector<double>{1, 0.5});
  CHECK(types == std::vector<std::string>{"DownBlock2D"});
  int64_t big = 0;
  REQUIRE(c.GetInt("big", &big).ok());
  CHECK(big == 9007199254740991);

  // Absent and null keep the default; GetOptionalInt tells null from absent.
  double absent = 7;
  REQUIRE(c.GetDouble("beta_end", &absent).ok());
  CHECK(absent == 7);
  std::string null_kept = "keep";
  REQUIRE(c.GetString("trained_betas", &null_kept).ok());
  CHECK(null_kept == "keep");
  std::optional<int64_t> opt = 5;
  REQUIRE(c.GetOptionalInt("trained_betas", &opt).ok());
  CHECK(!opt.has_value());
  opt = 5;
  REQUIRE(c.GetOptionalInt("not_there", &opt).ok());
  CHECK(opt == 5);
  CHECK(c.Has("some_future_key"));  // unknown keys are kept, never an error
}

TEST_CASE("JsonConfig: wrong types name the key and show the value; enums list the choices", "[io][config]") {
  JsonConfig c = Parsed(R"({"num_train_timesteps": "1000", "beta_start": "x", "clip_sample": 1,
      "beta_schedule": "cosine", "prediction_type": 3, "block_out_channels": [32, "64"], "frac": 2.5,
      "huge": 18446744073709551615, "int32": 4294967296, "names": "DownBlock2D", "weights": [1, null]})");
  int64_t i = 0;
  int i32 = 0;
  double d = 0;
  bool b = false;
  std::string s;
  std::vector<int64_t> il;
  std::vector<double> dl;
  std::vector<std::string> sl;
  const std::vector<std::string> schedules = {"linear", "scaled_linear", "squaredcos_cap_v2"};
  struct Row {
    Status status;
    std::vector<std::string> expect;
  };
  const Row rows[] = {
      {c.GetInt("num_train_timesteps", &i), {"key 'num_train_timesteps'", "must be an integer", "\"1000\""}},
      {c.GetDouble("beta_start", &d), {"key 'beta_start'", "must be a number", "\"x\""}},
      {c.GetBool("clip_sample", &b), {"key 'clip_sample'", "must be true or false", "1"}},
      {c.GetEnum("beta_schedule", schedules, &s),
       {"key 'beta_schedule'", "'cosine'", "must be one of linear, scaled_linear, squaredcos_cap_v2"}},
      {c.GetEnum("prediction_type", {"epsilon", "sample", "v_prediction"}, &s), {"key 'prediction_type'", "must be a string"}},
      {c.GetIntList("block_out_channels", &il), {"key 'block_out_channels'", "list of integers", "[32,\"64\"]"}},
      {c.GetInt("frac", &i), {"key 'frac'", "must be an integer", "2.5"}},
      {c.GetInt("huge", &i), {"key 'huge'", "must be an integer"}},
      {c.GetInt("int32", &i32), {"key 'int32'", "out of range"}},
      {c.GetStringList("names", &sl), {"key 'names'", "list of strings"}},
      {c.GetDoubleList("weights", &dl), {"key 'weights'", "list of numbers"}},
  };
  for (const Row& r : rows) {
    INFO(r.status.message());
    CHECK(!r.status.ok());
    CHECK(r.status.code() == ErrorCode::kInvalidArgument);
    CHECK(r.status.message().rfind("scheduler_config.json: ", 0) == 0);
    for (const auto& e : r.expect) CHECK(Mentions(r.status, e));
  }
  CHECK(s.empty());  // a failed getter leaves the output alone
  CHECK(il.empty());
}

TEST_CASE("JsonConfig: malformed and hostile JSON is a parse error naming the source", "[io][config]") {
  const std::string deep(100000, '[');
  std::string deep_obj;
  for (int i = 0; i < 40; ++i) deep_obj += "{\"a\":";
  deep_obj += "1";
  for (int i = 0; i < 40; ++i) deep_obj += "}";
  struct Row {
    std::string text, expect;
  };
  const Row rows[] = {
      {"", "not valid JSON"},
      {"{\"a\": 1,}", "not valid JSON"},
      {"[1, 2]", "top level is not a JSON object"},
      {"null", "top level is not a JSON object"},
      {"{\"a\": 1e999}", "not valid JSON"},  // overflows double: nlohmann's out_of_range, not parse_error
      {"{\"a\": \"\xff\"}", "not valid JSON"},
      {"{\"a\": 1} trailing", "not valid JSON"},
      {deep, "nests deeper than 32"},
      {deep_obj, "nests deeper than 32"},
  };
  for (const Row& r : rows) {
    auto c = JsonConfig::Parse(r.text, "cfg.json");
    INFO(r.text.substr(0, 60));
    REQUIRE(!c.ok());
    CHECK(c.status().code() == ErrorCode::kParse);
    CHECK(c.status().message().rfind("cfg.json: ", 0) == 0);
    CHECK(Mentions(c.status(), r.expect));
    CHECK(c.status().message().size() < 400);
  }
  auto missing = JsonConfig::ReadFile("/nonexistent/scheduler_config.json");
  CHECK(missing.status().code() == ErrorCode::kNotFound);
  CHECK(Mentions(missing.status(), "/nonexistent/scheduler_config.json"));
}

TEST_CASE("JsonConfig: the shared reference UNet configs parse", "[io][config][reference]") {
  auto c = JsonConfig::ReadFile(test::ReferencePath("unet_tiny/config.json"));
  REQUIRE(c.ok());
  std::string cls;
  REQUIRE(c->GetString("_class_name", &cls).ok());
  CHECK(cls == "UNet2DModel");
  std::vector<int64_t> channels;
  REQUIRE(c->GetIntList("block_out_channels", &channels).ok());
  CHECK(!channels.empty());
}
