#include "io/json_config.h"

#include <cmath>
#include <limits>
#include <new>

#include "io/file_util.h"

namespace ddpm {

using Json = nlohmann::json;

namespace {
// Python's json module writes float('-inf') as the bare literal -Infinity (diffusers' DPM-Solver
// configs carry "lambda_min_clipped": -Infinity), which JSON lacks. Outside strings, -Infinity,
// Infinity and NaN become the strings "-Infinity", "Infinity", "NaN"; getters that accept them say so.
std::string QuotePythonFloatLiterals(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (const char* lit : {"-Infinity", "Infinity", "NaN"}) {
      const size_t n = std::char_traits<char>::length(lit);
      if (text.compare(i, n, lit) == 0) {
        out += '"';
        out += lit;
        out += '"';
        i += n - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// Deeper JSON than any diffusers config is rejected while parsing: dump() and copies of nlohmann's
// DOM recurse, so unbounded nesting would overflow the (small, in wasm) stack.
constexpr int kMaxDepth = 32;
struct TooDeep {};


// Parses with the nesting bound. On failure sets *error; *syntax tells a plain syntax error (worth a
// retry with Python's literals quoted) from too deep nesting or exhausted memory.
bool ParseBounded(const std::string& text, const std::string& source, Json* j, Status* error, bool* syntax) {
  *syntax = false;
  try {
    *j = Json::parse(text, [](int depth, Json::parse_event_t event, Json&) {
      if (depth >= kMaxDepth && (event == Json::parse_event_t::object_start ||
                                 event == Json::parse_event_t::array_start))
        throw TooDeep{};
      return true;
    });
    return true;
  } catch (const TooDeep&) {
    *error = ParseError(source + ": JSON nests deeper than " + std::to_string(kMaxDepth) + " levels");
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e999
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    *error = ParseError(source + ": not valid JSON: " + what);
    *syntax = true;
  } catch (const std::bad_alloc&) {
    *error = OutOfMemory(source + ": out of memory parsing JSON");
  }
  return false;
}

}  // namespace

Expected<JsonConfig> JsonConfig::Parse(const std::string& text, std::string source) {
  Json j;
  Status error, retry_error;
  bool syntax = false;
  if (!ParseBounded(text, source, &j, &error, &syntax)) {
    // Maybe Python's bare -Infinity / Infinity / NaN: quote them and try once more; if that fails
    // too, the first error is the one to show.
    if (!syntax || !ParseBounded(QuotePythonFloatLiterals(text), source, &j, &retry_error, &syntax)) return error;
  }
  if (!j.is_object()) return ParseError(source + ": top level is not a JSON object");
  return JsonConfig(std::move(j), std::move(source));
}

Expected<JsonConfig> JsonConfig::ReadFile(const std::string& path) {
  DDPM_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  return Parse(text, path);
}

Status JsonConfig::Error(const std::string& key, const std::string& problem) const {
  return InvalidArgument(source_ + ": key '" + key + "' " + problem);
}

namespace {
std::string Shown(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Integers in int64 range; also whole floats (Python writes 1000.0 sometimes) that convert exactly.
bool ToInt64(const Json& v, int64_t* out) {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v.get<uint64_t>());
    return true;
  }
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 9007199254740992.0) return false;  // 2^53
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}
}  // namespace

Status JsonConfig::GetBool(const std::string& key, bool* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_boolean()) return Error(key, "must be true or false, got " + Shown(v));
  *out = v.get<bool>();
  return Status::Ok();
}

Status JsonConfig::GetInt(const std::string& key, int64_t* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!ToInt64(v, out)) return Error(key, "must be an integer, got " + Shown(v));
  return Status::Ok();
}

Status JsonConfig::GetInt(const std::string& key, int* out) const {
  int64_t v = *out;
  DDPM_RETURN_IF_ERROR(GetInt(key, &v));
  if (v < INT32_MIN || v > INT32_MAX) return Error(key, "is out of range: " + std::to_string(v));
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status JsonConfig::GetDouble(const std::string& key, double* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_number()) return Error(key, "must be a number, got " + Shown(v));
  *out = v.get<double>();  // always finite: the parser rejects numbers beyond double's range
  return Status::Ok();
}

Status JsonConfig::GetString(const std::string& key, std::string* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_string()) return Error(key, "must be a string, got " + Shown(v));
  *out = v.get<std::string>();
  return Status::Ok();
}

Status JsonConfig::GetEnum(const std::string& key, const std::vector<std::string>& choices, std::string* out) const {
  std::string value = *out;
  DDPM_RETURN_IF_ERROR(GetString(key, &value));
  for (const auto& c : choices) {
    if (c == value) {
      *out = value;
      return Status::Ok();
    }
  }
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? ", " : "") + choices[i];
  return Error(key, "value '" + value + "' must be one of " + list);
}

Status JsonConfig::GetIntList(const std::string& key, std::vector<int64_t>* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_array()) return Error(key, "must be a list of integers, got " + Shown(v));
  std::vector<int64_t> r;
  for (const Json& e : v) {
    int64_t x;
    if (!ToInt64(e, &x)) return Error(key, "must be a list of integers, got " + Shown(v));
    r.push_back(x);
  }
  *out = std::move(r);
  return Status::Ok();
}

Status JsonConfig::GetDoubleList(const std::string& key, std::vector<double>* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_array()) return Error(key, "must be a list of numbers, got " + Shown(v));
  std::vector<double> r;
  for (const Json& e : v) {
    if (!e.is_number()) return Error(key, "must be a list of numbers, got " + Shown(v));
    r.push_back(e.get<double>());
  }
  *out = std::move(r);
  return Status::Ok();
}

Status JsonConfig::GetStringList(const std::string& key, std::vector<std::string>* out) const {
  if (!Has(key)) return Status::Ok();
  const Json& v = j_.at(key);
  if (!v.is_array()) return Error(key, "must be a list of strings, got " + Shown(v));
  std::vector<std::string> r;
  for (const Json& e : v) {
    if (!e.is_string()) return Error(key, "must be a list of strings, got " + Shown(v));
    r.push_back(e.get<std::string>());
  }
  *out = std::move(r);
  return Status::Ok();
}

Status JsonConfig::GetOptionalInt(const std::string& key, std::optional<int64_t>* out) const {
  if (!j_.contains(key)) return Status::Ok();
  if (j_.at(key).is_null()) {
    *out = std::nullopt;
    return Status::Ok();
  }
  int64_t v = 0;
  DDPM_RETURN_IF_ERROR(GetInt(key, &v));
  *out = v;
  return Status::Ok();
}

}  // namespace ddpm
