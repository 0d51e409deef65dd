// Hostile and malformed safetensors files: each must be rejected with an error that names the source,
// the tensor where there is one, and the problem. None may crash (the native-asan preset runs these).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io/safetensors.h"
#include "unit/io/io_test_util.h"

using namespace ddpm;
using ddpm::test::SafetensorsBytes;

namespace {

const char* kSource = "hostile.safetensors";

std::string ErrorOf(std::vector<uint8_t> bytes) {
  auto st = SafeTensors::FromBytes(std::move(bytes), kSource);
  if (st.ok()) return "<accepted>";
  return st.status().message();
}

// A tensor entry; `extra` is spliced in verbatim.
std::string Entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}

struct Case {
  const char* what;
  std::vector<uint8_t> bytes;
  std::vector<std::string> expect;  // substrings of the error message
};

}  // namespace

TEST_CASE("safetensors: a hand-built valid file parses (the baseline the hostile cases perturb)", "[io][safetensors]") {
  const std::string header =
      "{\"__metadata__\":{\"format\":\"pt\"}," + Entry("a", "\"F32\"", "[2]", "[0,8]") + "," +
      Entry("b", "\"I64\"", "[1]", "[8,16]") + "," + Entry("empty", "\"F16\"", "[0,3]", "[16,16]") + "}";
  auto st = SafeTensors::FromBytes(SafetensorsBytes(header, std::vector<uint8_t>(16, 0)), kSource);
  REQUIRE(st.ok());
  CHECK(st->tensors().size() == 3);
  CHECK(st->metadata().at("format") == "pt");
  CHECK(st->GetFloat("empty")->size() == 0);
}

TEST_CASE("safetensors: hostile inputs are rejected with errors that name the problem", "[io][safetensors]") {
  const std::vector<uint8_t> d8(8, 0), d16(16, 0);
  std::string deep_shape = "[";
  for (int i = 0; i < 100000; ++i) deep_shape += "[";
  std::string deep_array(1 << 20, '[');
  std::string deep_object;
  for (int i = 0; i < 50000; ++i) deep_object += "{\"a\":";
  std::string rank65 = "[1";
  for (int i = 0; i < 64; ++i) rank65 += ",1";
  rank65 += "]";
  const std::string long_name(100000, 'n');

  const std::vector<Case> cases = {
      {"shorter than the length prefix", {1, 2, 3}, {"truncated", "3 bytes"}},
      {"empty file", {}, {"truncated", "0 bytes"}},
      {"header length huge (2^64-1)", SafetensorsBytes("{}", {}, UINT64_MAX - 1), {"header length", "exceeds the limit"}},
      {"header length just over the limit", SafetensorsBytes("{}", {}, 100'000'001), {"exceeds the limit of 100000000"}},
      {"header length past the end", SafetensorsBytes("{}", {}, 64), {"truncated", "header length 64", "only 2 bytes"}},
      {"empty header", SafetensorsBytes(""), {"not valid JSON"}},
      {"header not JSON", SafetensorsBytes("{not json}"), {"not valid JSON"}},
      {"header with garbage after the object", SafetensorsBytes("{} x"), {"not valid JSON"}},
      {"header with invalid UTF-8", SafetensorsBytes("{\"\xff\xfe\":1}"), {"not valid JSON"}},
      {"header with a NUL byte", SafetensorsBytes(std::string("{}\0 ", 4)), {"not valid JSON"}},
      {"header is an array", SafetensorsBytes("[]"), {"not an object", "an array"}},
      {"header is a number", SafetensorsBytes("42"), {"not an object", "42"}},
      {"header is a string", SafetensorsBytes("\"x\""), {"not an object"}},
      {"entry is not an object", SafetensorsBytes("{\"w\":[1,2]}"), {"tensor 'w'", "not an object"}},
      {"unknown dtype", SafetensorsBytes("{" + Entry("w", "\"F33\"", "[2]", "[0,8]") + "}", d8),
       {"tensor 'w'", "unknown dtype 'F33'", "F32, F16, BF16"}},
      {"dtype not a string", SafetensorsBytes("{" + Entry("w", "5", "[2]", "[0,8]") + "}", d8),
       {"tensor 'w'", "'dtype' must be a string", "5"}},
      {"negative shape", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[-1]", "[0,8]") + "}", d8),
       {"tensor 'w'", "shape entries must be non-negative integers", "-1"}},
      {"float shape", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[1.5]", "[0,8]") + "}", d8),
       {"tensor 'w'", "shape entries", "1.5"}},
      {"whole float shape", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2.0]", "[0,8]") + "}", d8),
       {"tensor 'w'", "shape entries"}},
      {"shape beyond u64", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[99999999999999999999]", "[0,8]") + "}", d8),
       {"tensor 'w'", "shape entries"}},
      {"shape number overflowing double", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[1e999]", "[0,8]") + "}", d8),
       {"not valid JSON"}},
      {"shape not an array", SafetensorsBytes("{" + Entry("w", "\"F32\"", "\"2\"", "[0,8]") + "}", d8),
       {"tensor 'w'", "'shape' must be an array"}},
      {"shape product overflow", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[4294967296,4294967296]", "[0,8]") + "}", d8),
       {"tensor 'w'", "shape overflows"}},
      {"shape overflow hidden behind a zero",
       SafetensorsBytes("{" + Entry("w", "\"F32\"", "[0,4294967296,4294967296]", "[0,0]") + "}"),
       {"tensor 'w'", "shape overflows"}},
      {"rank over 64", SafetensorsBytes("{" + Entry("w", "\"F32\"", rank65, "[0,4]") + "}", std::vector<uint8_t>(4)),
       {"tensor 'w'", "more than 64 dimensions"}},
      {"offsets reversed", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[8,0]") + "}", d8),
       {"tensor 'w'", "begin 8 > end 0"}},
      {"offsets out of range", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[0,8]") + "}", {1, 2, 3}),
       {"tensor 'w'", "end 8 is past the data section (3 bytes)"}},
      {"offsets huge", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[18446744073709551608,18446744073709551615]") + "}", d8),
       {"tensor 'w'", "past the data section"}},
      {"offsets negative", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[-8,0]") + "}", d8),
       {"tensor 'w'", "data_offsets entries must be non-negative integers", "-8"}},
      {"offsets as floats", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[0.0,8.0]") + "}", d8),
       {"tensor 'w'", "data_offsets entries"}},
      {"one offset", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[8]") + "}", d8),
       {"tensor 'w'", "needs two entries"}},
      {"three offsets", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "[0,8,8]") + "}", d8),
       {"tensor 'w'", "more than two entries"}},
      {"offsets not an array", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[2]", "{}") + "}", d8),
       {"tensor 'w'", "'data_offsets' must be an array"}},
      {"span does not match dtype x shape", SafetensorsBytes("{" + Entry("w", "\"F32\"", "[3]", "[0,8]") + "}", d8),
       {"tensor 'w'", "span 8 bytes", "F32 x shape [3] needs 12"}},
      {"overlapping tensors",
       SafetensorsBytes("{" + Entry("a", "\"F32\"", "[2]", "[0,8]") + "," + Entry("b", "\"F32\"", "[2]", "[4,12]") + "}",
                        std::vector<uint8_t>(12)),
       {"tensor 'b' overlaps tensor 'a'"}},
      {"identical tensors", SafetensorsBytes("{" + Entry("a", "\"F32\"", "[2]", "[0,8]") + "," +
                                             Entry("b", "\"F32\"", "[2]", "[0,8]") + "}", d8),
       {"overlaps"}},
      {"gap between tensors",
       SafetensorsBytes("{" + Entry("a", "\"F32\"", "[1]", "[0,4]") + "," + Entry("b", "\"F32\"", "[1]", "[8,12]") + "}",
                        std::vector<uint8_t>(12)),
       {"gap of 4 unused bytes before tensor 'b'"}},
      {"gap at the start", SafetensorsBytes("{" + Entry("a", "\"F32\"", "[1]", "[4,8]") + "}", d8),
       {"gap of 4 unused bytes before tensor 'a'"}},
      {"trailing bytes", SafetensorsBytes("{" + Entry("a", "\"F32\"", "[2]", "[0,8]") + "}", d16),
       {"8 trailing bytes"}},
      {"data but no tensors", SafetensorsBytes("{}", d8), {"8 trailing bytes"}},
      {"duplicate tensor name", SafetensorsBytes("{" + Entry("a", "\"F32\"", "[1]", "[0,4]") + "," +
                                                 Entry("a", "\"F32\"", "[1]", "[4,8]") + "}", d8),
       {"duplicate tensor name 'a'"}},
      {"duplicate field", SafetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                                           std::vector<uint8_t>(4)),
       {"tensor 'a'", "duplicate field 'dtype'"}},
      {"missing field", SafetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", std::vector<uint8_t>(4)),
       {"tensor 'a'", "missing field 'shape'"}},
      {"unknown field", SafetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
                                         std::vector<uint8_t>(4)),
       {"tensor 'a'", "unknown field 'x'"}},
      {"metadata value not a string", SafetensorsBytes("{\"__metadata__\":{\"k\":1}}"), {"__metadata__ value for 'k'", "not a string"}},
      {"metadata not an object", SafetensorsBytes("{\"__metadata__\":[\"k\"]}"), {"__metadata__ is not an object"}},
      {"metadata nested", SafetensorsBytes("{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}"), {"__metadata__ value for 'k'"}},
      {"duplicate metadata key", SafetensorsBytes("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}"), {"duplicate __metadata__ key 'k'"}},
      {"duplicate __metadata__", SafetensorsBytes("{\"__metadata__\":{},\"__metadata__\":{}}"), {"duplicate key '__metadata__'"}},
      {"deeply nested shape", SafetensorsBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":" + deep_shape), {"tensor 'w'", "shape entries"}},
      {"a megabyte of '['", SafetensorsBytes(deep_array), {"not an object"}},
      {"deeply nested objects", SafetensorsBytes("{\"w\":" + deep_object), {"tensor 'w'", "unknown field 'a'"}},
      {"a long name is clipped in the message", SafetensorsBytes("{\"" + long_name + "\":1}"), {"tensor 'nnnn", "(100000 bytes)"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::string msg = ErrorOf(c.bytes);
    INFO(msg.substr(0, 400));
    CHECK(msg.rfind(std::string(kSource) + ": ", 0) == 0);  // names the file first
    for (const std::string& e : c.expect) CHECK(msg.find(e) != std::string::npos);
    CHECK(msg.size() < 1000);  // hostile names and tokens are clipped
  }
}

TEST_CASE("safetensors: every truncation of a valid file is rejected as truncated", "[io][safetensors]") {
  SafeTensorsWriter w;
  const float a[3] = {1, 2, 3};
  const int64_t b[2] = {7, -7};
  w.AddFloat("a", {3}, a, DType::kF16);
  w.AddInt64("b", {2}, b);
  w.SetMetadata("format", "pt");
  auto bytes = w.Serialize();
  REQUIRE(bytes.ok());
  REQUIRE(SafeTensors::FromBytes(*bytes, kSource).ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    INFO("prefix of " << n << " bytes");
    const std::string msg = ErrorOf(std::vector<uint8_t>(bytes->begin(), bytes->begin() + n));
    CHECK(msg.rfind(std::string(kSource) + ": ", 0) == 0);
    CHECK(msg.find("truncated") != std::string::npos);
  }
  // And one byte too many is trailing garbage.
  std::vector<uint8_t> longer = *bytes;
  longer.push_back(0);
  CHECK(ErrorOf(longer).find("1 trailing bytes") != std::string::npos);
}

TEST_CASE("safetensors: readers reject the wrong dtype and unknown names, naming both", "[io][safetensors]") {
  std::string header = "{";
  header += Entry("i", "\"I64\"", "[1]", "[0,8]") + "," + Entry("f", "\"F32\"", "[2]", "[8,16]") +
            "," + Entry("u", "\"U64\"", "[1]", "[16,24]") + "," + Entry("h", "\"F16\"", "[4]", "[24,32]") + "}";
  std::vector<uint8_t> data(32, 0);
  for (int i = 16; i < 24; ++i) data[i] = 0xff;  // U64 max: does not fit int64
  auto st = SafeTensors::FromBytes(SafetensorsBytes(header, data), kSource);
  REQUIRE(st.ok());
  CHECK(st->GetFloat("i").status().message() ==
        std::string(kSource) + ": tensor 'i' has dtype I64, expected a floating-point dtype (F32, F16, BF16, F64)");
  CHECK(st->GetInt("f").status().message().find("tensor 'f' has dtype F32, expected an integer dtype") != std::string::npos);
  CHECK(st->GetDouble("h").status().message().find("tensor 'h' has dtype F16, expected F64 or F32") != std::string::npos);
  CHECK(st->GetInt("u").status().message().find("tensor 'u' element 0 = 18446744073709551615 does not fit in int64") !=
        std::string::npos);
  CHECK(st->GetFloat("nope").status().code() == ErrorCode::kNotFound);
  CHECK(st->GetFloat("nope").status().message() == std::string(kSource) + ": no tensor named 'nope'");
}
