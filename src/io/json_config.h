// Typed access to a diffusers JSON config (config.json, scheduler_config.json, model_index.json).
// Unknown keys are tolerated (diffusers keeps them too); a key with the wrong type or an invalid
// value is an error that names the key, the value and, for enums, the valid choices.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace ddpm {

class JsonConfig {
 public:
  // `source` names the config in errors ("unet/config.json").
  // Python's bare -Infinity / Infinity / NaN literals are read as the strings "-Infinity", ... .
  static Expected<JsonConfig> Parse(const std::string& text, std::string source);
  static Expected<JsonConfig> ReadFile(const std::string& path);
  JsonConfig(nlohmann::json j, std::string source) : j_(std::move(j)), source_(std::move(source)) {}

  const nlohmann::json& raw() const { return j_; }
  const std::string& source() const { return source_; }
  bool Has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }
  // A copy with `key` set to `value` (a caller's override of one key, as diffusers' from_config(config, key=value)).
  JsonConfig With(const std::string& key, nlohmann::json value) const {
    nlohmann::json j = j_;
    j[key] = std::move(value);
    return JsonConfig(std::move(j), source_);
  }

  // Each Get* leaves *out unchanged (the default) when the key is absent or null.
  Status GetBool(const std::string& key, bool* out) const;
  Status GetInt(const std::string& key, int64_t* out) const;
  Status GetInt(const std::string& key, int* out) const;
  Status GetDouble(const std::string& key, double* out) const;
  Status GetString(const std::string& key, std::string* out) const;
  // A string that must be one of `choices`.
  Status GetEnum(const std::string& key, const std::vector<std::string>& choices, std::string* out) const;
  Status GetIntList(const std::string& key, std::vector<int64_t>* out) const;
  Status GetDoubleList(const std::string& key, std::vector<double>* out) const;
  Status GetStringList(const std::string& key, std::vector<std::string>* out) const;
  // Present and null is distinguished from absent: nullopt for null, untouched when absent.
  Status GetOptionalInt(const std::string& key, std::optional<int64_t>* out) const;

  Status Error(const std::string& key, const std::string& problem) const;

 private:
  nlohmann::json j_;
  std::string source_;
};

}  // namespace ddpm
