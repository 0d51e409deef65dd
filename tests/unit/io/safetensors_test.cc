// safetensors round trips for every dtype the writer produces, the writer's own validation and atomic
// write, byte-exact compatibility with the reference writer's layout, and the shared reference files.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "io/safetensors.h"
#include "support/reference.h"
#include "unit/io/io_test_util.h"

using namespace ddpm;
using ddpm::test::SafetensorsBytes;
using ddpm::test::TempPath;

namespace {

SafeTensors RoundTrip(const SafeTensorsWriter& w) {
  auto bytes = w.Serialize();
  REQUIRE(bytes.ok());
  auto st = SafeTensors::FromBytes(std::move(*bytes), "roundtrip");
  REQUIRE(st.ok());
  return std::move(*st);
}

uint32_t Bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}

}  // namespace

TEST_CASE("safetensors: F32 round trip is bit-exact, including inf, nan, -0 and subnormals", "[io][safetensors]") {
  const std::vector<float> v = {0.0f, -0.0f, 1.5f, -3.25e-7f, FLT_MAX, FLT_TRUE_MIN, INFINITY, -INFINITY, NAN, 1e-40f};
  Tensor t({2, 5}, v.data());
  SafeTensorsWriter w;
  w.AddFloat("x", t);
  w.SetMetadata("format", "pt");
  SafeTensors st = RoundTrip(w);
  CHECK(st.metadata().at("format") == "pt");
  REQUIRE(st.Find("x")->dtype == DType::kF32);
  auto back = st.GetFloat("x");
  REQUIRE(back.ok());
  CHECK(back->shape() == Shape{2, 5});
  for (size_t i = 0; i < v.size(); ++i) CHECK(Bits((*back)[i]) == Bits(v[i]));
}

TEST_CASE("safetensors: F16 and BF16 round trips round to nearest even", "[io][safetensors]") {
  // value, expected after F16, expected after BF16
  struct Row {
    float in, f16, bf16;
  };
  const Row rows[] = {
      {1.0f, 1.0f, 1.0f},
      {1.0f / 3.0f, 0.333251953125f, 0.333984375f},
      {65504.0f, 65504.0f, 65536.0f},
      {65520.0f, INFINITY, 65536.0f},        // F16 tie to even is inf
      {1.0f + 1.0f / 2048, 1.0f, 1.0f},       // F16 tie between 1 and 1+2^-10: even is 1
      {1.0f + 3.0f / 2048, 1.001953125f, 1.0f},  // tie between 1+2^-10 and 1+2^-9: even is 1+2^-9
      {1.0f + 1.0f / 256, 1.00390625f, 1.0f},    // BF16 tie between 1 and 1+2^-7: even is 1
      {std::ldexp(1.0f, -24), std::ldexp(1.0f, -24), std::ldexp(1.0f, -24)},  // smallest F16 subnormal
      {std::ldexp(1.0f, -25), 0.0f, std::ldexp(1.0f, -25)},                   // F16 tie to even 0
      {-std::ldexp(3.0f, -25), -std::ldexp(2.0f, -24), -std::ldexp(3.0f, -25)},
      {1e-40f, 0.0f, 9.183549615799121e-41f},  // a float subnormal: BF16 keeps 7 bits of it
      {3.0e38f, INFINITY, 3.00405527047391e+38f},
      {INFINITY, INFINITY, INFINITY},
      {-INFINITY, -INFINITY, -INFINITY},
  };
  std::vector<float> in;
  for (const Row& r : rows) in.push_back(r.in);
  in.push_back(NAN);
  SafeTensorsWriter w;
  w.AddFloat("h", {int64_t(in.size())}, in.data(), DType::kF16);
  w.AddFloat("b", {int64_t(in.size())}, in.data(), DType::kBF16);
  SafeTensors st = RoundTrip(w);
  CHECK(st.Find("h")->dtype == DType::kF16);
  CHECK(st.Find("b")->dtype == DType::kBF16);
  CHECK(st.Find("h")->end - st.Find("h")->begin == 2 * in.size());
  auto h = st.GetFloat("h");
  auto b = st.GetFloat("b");
  REQUIRE(h.ok());
  REQUIRE(b.ok());
  for (size_t i = 0; i < std::size(rows); ++i) {
    INFO("row " << i << " in " << rows[i].in);
    CHECK(Bits((*h)[i]) == Bits(rows[i].f16));
    CHECK(Bits((*b)[i]) == Bits(rows[i].bf16));
  }
  CHECK(std::isnan((*h)[in.size() - 1]));
  CHECK(std::isnan((*b)[in.size() - 1]));
}

TEST_CASE("safetensors: F64, I64 and I32 round trips", "[io][safetensors]") {
  const std::vector<double> d = {0.1, -1e300, 1e-310, INFINITY, 3.0};
  const std::vector<int64_t> i = {0, -1, INT64_MAX, INT64_MIN, 42, 7};
  const std::vector<float> f = {0.5f, -2.0f};
  SafeTensorsWriter w;
  w.AddDouble("d", {5}, d.data());
  w.AddInt64("i", {2, 3}, i.data());
  w.AddFloat("f64", {2}, f.data(), DType::kF64);
  w.AddInt64("scalar", {}, i.data() + 4);
  SafeTensors st = RoundTrip(w);
  auto dd = st.GetDouble("d");
  REQUIRE(dd.ok());
  CHECK(*dd == d);
  auto df = st.GetFloat("d");  // F64 read as float: 1e300 overflows to -inf, 1e-310 to 0
  REQUIRE(df.ok());
  CHECK((*df)[0] == 0.1f);
  CHECK((*df)[1] == -INFINITY);
  CHECK((*df)[2] == 0.0f);
  auto ii = st.GetInt("i");
  REQUIRE(ii.ok());
  CHECK(*ii == i);
  CHECK(st.Find("i")->shape == Shape{2, 3});
  CHECK(st.Find("f64")->dtype == DType::kF64);
  CHECK(*st.GetDouble("f64") == std::vector<double>{0.5, -2.0});
  CHECK(st.Find("scalar")->shape.empty());
  CHECK(*st.GetInt("scalar") == std::vector<int64_t>{42});

  // I32 (written by torch for int tensors; our writer never makes it): built by hand.
  const int32_t raw[3] = {-5, 0, 2147483647};
  std::vector<uint8_t> data(12);
  std::memcpy(data.data(), raw, 12);
  auto st32 = SafeTensors::FromBytes(
      SafetensorsBytes("{\"n\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[0,12]}}", data), "i32");
  REQUIRE(st32.ok());
  CHECK(*st32->GetInt("n") == std::vector<int64_t>{-5, 0, 2147483647});
}

TEST_CASE("safetensors: other spec dtypes load, with sizes checked", "[io][safetensors]") {
  // U8 [3] + BOOL [2] + I16 [1] + U32 [1] + F8_E4M3 [2]: 3 + 2 + 2 + 4 + 2 bytes
  const std::string header =
      "{\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
      "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[3,5]},"
      "\"s\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[5,7]},"
      "\"w\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[7,11]},"
      "\"q\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[11,13]}}";
  std::vector<uint8_t> data = {1, 2, 255, 1, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0};
  auto st = SafeTensors::FromBytes(SafetensorsBytes(header, data), "dtypes");
  REQUIRE(st.ok());
  CHECK(*st->GetInt("u") == std::vector<int64_t>{1, 2, 255});
  CHECK(*st->GetInt("b") == std::vector<int64_t>{1, 0});
  CHECK(*st->GetInt("s") == std::vector<int64_t>{-2});
  CHECK(*st->GetInt("w") == std::vector<int64_t>{4294967295});
  CHECK(st->GetFloat("q").status().message().find("has dtype F8_E4M3") != std::string::npos);
}

TEST_CASE("safetensors: the writer's layout matches the reference writer byte for byte", "[io][safetensors]") {
  // The reference implementation's own serialization test: one F32 [1,2,3] tensor named "attn.0".
  const float v[6] = {0, 1, 2, 3, 4, 5};
  SafeTensorsWriter w;
  w.AddFloat("attn.0", {1, 2, 3}, v);
  auto bytes = w.Serialize();
  REQUIRE(bytes.ok());
  const std::string header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
  REQUIRE(header.size() == 64);  // already a multiple of 8: no padding
  std::vector<uint8_t> data(24);
  std::memcpy(data.data(), v, 24);
  CHECK(*bytes == SafetensorsBytes(header, data));

  // An empty file is "{}" padded to 8 bytes.
  auto empty = SafeTensorsWriter().Serialize();
  REQUIRE(empty.ok());
  CHECK(*empty == SafetensorsBytes("{}      "));
  // Padding keeps the data section 8-byte aligned.
  SafeTensorsWriter odd;
  odd.AddFloat("ab", {1}, v);
  auto ob = odd.Serialize();
  REQUIRE(ob.ok());
  uint64_t n = 0;
  std::memcpy(&n, ob->data(), 8);
  CHECK((8 + n) % 8 == 0);
  CHECK(ob->size() == 8 + n + 4);
}

TEST_CASE("safetensors writer: bad input is an error naming the tensor; nothing is written", "[io][safetensors]") {
  const float v[2] = {1, 2};
  const std::string path = TempPath("bad.safetensors");
  struct Bad {
    const char* what;
    void (*add)(SafeTensorsWriter&, const float*);
    const char* expect;
  };
  const Bad bad[] = {
      {"duplicate", [](SafeTensorsWriter& w, const float* p) { w.AddFloat("a", {1}, p); w.AddFloat("a", {1}, p); },
       "tensor 'a': added twice"},
      {"reserved", [](SafeTensorsWriter& w, const float* p) { w.AddFloat("__metadata__", {1}, p); }, "reserved"},
      {"utf8", [](SafeTensorsWriter& w, const float* p) { w.AddFloat("a\xff", {1}, p); }, "not valid UTF-8"},
      {"negative", [](SafeTensorsWriter& w, const float* p) { w.AddFloat("n", {2, -1}, p); }, "tensor 'n': negative dimension"},
      {"dtype", [](SafeTensorsWriter& w, const float* p) { w.AddFloat("i", {1}, p, DType::kI64); }, "cannot store floats as I64"},
      {"metadata", [](SafeTensorsWriter& w, const float*) { w.SetMetadata("k", "\xc0\x80"); }, "metadata 'k' is not valid UTF-8"},
  };
  for (const Bad& b : bad) {
    INFO(b.what);
    SafeTensorsWriter w;
    b.add(w, v);
    w.AddFloat("later", {1}, v);  // later additions do not hide the first error
    CHECK(!w.status().ok());
    CHECK(w.status().message().find(b.expect) != std::string::npos);
    CHECK(!w.Serialize().ok());
    const Status s = w.WriteFile(path);
    CHECK(!s.ok());
    CHECK(s.message().find(path) != std::string::npos);
    CHECK(!FileExists(path));
  }
}

TEST_CASE("safetensors writer: atomic file write replaces, leaves no temporaries, reports bad paths",
          "[io][safetensors]") {
  const std::string dir = TempPath("dir");
  std::filesystem::create_directories(dir);
  const std::string path = JoinPath(dir, "m.safetensors");
  const float a[3] = {1, 2, 3}, b[1] = {9};
  SafeTensorsWriter w1, w2;
  w1.AddFloat("a", {3}, a, DType::kBF16);
  w2.AddFloat("b", {1}, b);
  REQUIRE(w1.WriteFile(path).ok());
  REQUIRE(w2.WriteFile(path).ok());  // replaces
  auto st = SafeTensors::ReadFile(path);
  REQUIRE(st.ok());
  CHECK(st->source() == path);
  CHECK(!st->Has("a"));
  CHECK((*st->GetFloat("b"))[0] == 9.0f);
  // WriteFile streams; Serialize builds the same bytes.
  auto bytes = ReadFileBytes(path);
  REQUIRE(bytes.ok());
  CHECK(*bytes == *w2.Serialize());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);  // no temporary left behind

  const Status s = w1.WriteFile(JoinPath(dir, "missing/sub/m.safetensors"));
  CHECK(!s.ok());
  CHECK(s.message().find("missing/sub/m.safetensors") != std::string::npos);
  auto missing = SafeTensors::ReadFile(JoinPath(dir, "nope.safetensors"));
  CHECK(missing.status().code() == ErrorCode::kNotFound);
  CHECK(missing.status().message().find("nope.safetensors") != std::string::npos);
  auto isdir = SafeTensors::ReadFile(dir);
  CHECK(!isdir.ok());
  CHECK(isdir.status().message().find("is a directory") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("safetensors: every shared reference file loads, and every tensor reads", "[io][safetensors][reference]") {
  const std::string dir = test::SharedDir() + "/reference";
  REQUIRE(IsDirectory(dir));
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".safetensors") continue;
    ++files;
    const std::string path = e.path().string();
    INFO(path);
    auto st = SafeTensors::ReadFile(path);
    REQUIRE(st.ok());
    CHECK(!st->tensors().empty());
    CHECK(!st->metadata().empty());
    size_t bytes = 0;
    for (const TensorInfo& t : st->tensors()) {
      INFO(t.name);
      bytes += t.end - t.begin;
      if (t.dtype == DType::kI64) {
        CHECK(st->GetInt(t.name).ok());
      } else {
        REQUIRE((t.dtype == DType::kF32 || t.dtype == DType::kF64));
        auto f = st->GetFloat(t.name);
        REQUIRE(f.ok());
        CHECK(f->shape() == t.shape);
        if (t.dtype == DType::kF64) CHECK(st->GetDouble(t.name).ok());
      }
    }
    CHECK(bytes + 8 <= std::filesystem::file_size(e.path()));
  }
  CHECK(files >= 14);  // 14 when written
}

TEST_CASE("safetensors: reference values and a model re-written by our writer read back identically",
          "[io][safetensors][reference]") {
  auto sched = SafeTensors::ReadFile(test::ReferencePath("schedules.safetensors"));
  REQUIRE(sched.ok());
  CHECK(sched->metadata().count("diffusers_version") == 1);
  auto betas = sched->GetFloat("linear.betas");
  REQUIRE(betas.ok());
  CHECK(betas->shape() == Shape{1000});
  CHECK((*betas)[0] == 1e-4f);    // torch.linspace(1e-4, 0.02, 1000) in float32: exact at both ends
  CHECK((*betas)[999] == 0.02f);
  auto betas64 = sched->GetDouble("linear.betas_f64");
  REQUIRE(betas64.ok());
  CHECK((*betas64)[0] == 1e-4);
  CHECK(std::fabs((*betas64)[999] - 0.02) < 1e-17);

  const std::string model_path = test::ReferencePath("unet_tiny/diffusion_pytorch_model.safetensors");
  auto model = SafeTensors::ReadFile(model_path);
  REQUIRE(model.ok());
  CHECK(model->metadata().at("format") == "pt");
  CHECK(model->Has("conv_in.weight"));
  SafeTensorsWriter w;
  for (const TensorInfo& t : model->tensors()) w.AddFloat(t.name, *model->GetFloat(t.name));
  w.SetMetadata("format", "pt");
  SafeTensors again = RoundTrip(w);
  REQUIRE(again.tensors().size() == model->tensors().size());
  for (const TensorInfo& t : model->tensors()) {
    const Tensor a = *model->GetFloat(t.name), b = *again.GetFloat(t.name);
    REQUIRE(a.shape() == b.shape());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
  }
  // And the same file verbatim: our layout differs from torch's only in tensor order and padding.
  auto raw = ReadFileBytes(model_path);
  REQUIRE(raw.ok());
  CHECK(w.Serialize()->size() == raw->size());
}

TEST_CASE("safetensors: the writer accepts every shape the reader accepts", "[io][safetensors]") {
  // An empty tensor may have huge other dimensions, up to the reader's bound (product * 8 < 2^64).
  const Shape shape = {0, int64_t(1) << 60};
  auto st = SafeTensors::FromBytes(
      SafetensorsBytes("{\"e\":{\"dtype\":\"F64\",\"shape\":[0,1152921504606846976],\"data_offsets\":[0,0]}}"), "e");
  REQUIRE(st.ok());
  CHECK(st->Find("e")->shape == shape);
  SafeTensorsWriter w;
  w.AddFloat("e", *st->GetFloat("e"), DType::kF64);
  SafeTensors back = RoundTrip(w);
  CHECK(back.Find("e")->shape == shape);
}
