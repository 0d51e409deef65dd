#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "io/file_util.h"

namespace ddpm {

using json = nlohmann::json;

const char* DTypeName(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
  }
  return "?";
}

size_t DTypeSize(DType d) {
  switch (d) {
    case DType::kF32: case DType::kI32: return 4;
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kF64: case DType::kI64: return 8;
  }
  return 0;
}

namespace {

bool ParseDType(const std::string& s, DType* d) {
  for (DType c : {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI64, DType::kI32}) {
    if (s == DTypeName(c)) {
      *d = c;
      return true;
    }
  }
  return false;
}

// A safetensors header nests three deep ({name: {shape: [..]}}). Rejecting deeper JSON before parsing
// bounds the parser's memory on hostile input such as a megabyte of '['.
bool NestingAtMost(const std::string& text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return false;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return true;
}

uint64_t ReadU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

template <typename T>
T LoadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the project targets little-endian hosts only (x86-64, wasm)
  return v;
}

}  // namespace

float HalfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0);  // inf / nan
  if (abs >= 0x477ff000u) return sign | 0x7c00;                                    // overflow to inf
  if (abs < 0x38800000u) {  // half subnormal or zero: round x * 2^24 to an integer
    const float scaled = std::abs(f) * 16777216.0f;
    uint32_t m = static_cast<uint32_t>(scaled);
    const float rem = scaled - static_cast<float>(m);
    if (rem > 0.5f || (rem == 0.5f && (m & 1))) ++m;
    return sign | uint16_t(m);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
  const uint32_t lsb = (r >> 13) & 1;
  r += 0xfffu + lsb;  // round to nearest even
  return sign | uint16_t(r >> 13);
}

float BFloat16ToFloat(uint16_t b) {
  const uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToBFloat16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40);  // quiet nan
  x += 0x7fffu + ((x >> 16) & 1);
  return uint16_t(x >> 16);
}

Expected<SafeTensors> SafeTensors::ReadFile(const std::string& path) {
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  return FromBytes(std::move(bytes), path);
}

Expected<SafeTensors> SafeTensors::FromBytes(std::vector<uint8_t> bytes, std::string source) {
  auto fail = [&](const std::string& msg) { return ParseError(source + ": " + msg); };
  if (bytes.size() < 8)
    return fail("truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the 8-byte header length");
  const uint64_t header_len = ReadU64LE(bytes.data());
  if (header_len > kMaxHeaderBytes)
    return fail("header length " + std::to_string(header_len) + " exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > bytes.size() - 8)
    return fail("truncated: header length " + std::to_string(header_len) + " but only " +
                std::to_string(bytes.size() - 8) + " bytes follow");
  const std::string header(reinterpret_cast<const char*>(bytes.data() + 8), header_len);
  if (!NestingAtMost(header, 3)) return fail("header JSON nests deeper than a safetensors header can");

  json doc;
  try {
    doc = json::parse(header);
  } catch (const json::parse_error& e) {
    return fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return fail("header JSON is not an object");

  SafeTensors st;
  st.source_ = std::move(source);
  st.data_start_ = 8 + header_len;
  const size_t data_size = bytes.size() - st.data_start_;

  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return fail("__metadata__ value '" + m.key() + "' is not a string");
        st.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto tfail = [&](const std::string& msg) { return fail("tensor '" + name + "': " + msg); };
    if (!v.is_object()) return tfail("entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) return tfail("missing or non-string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) return tfail("missing or non-array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      return tfail("'data_offsets' must be an array of two integers");
    TensorInfo info;
    info.name = name;
    const std::string dtype = v["dtype"].get<std::string>();
    if (!ParseDType(dtype, &info.dtype))
      return tfail("unsupported dtype '" + dtype + "' (supported: F32, F16, BF16, F64, I64, I32)");
    uint64_t numel = 1;
    for (const json& d : v["shape"]) {
      if (!d.is_number_unsigned()) return tfail("shape entries must be non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / 8 / dim) return tfail("shape overflows");
      numel *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    const json& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      return tfail("data_offsets must be non-negative integers");
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e) return tfail("data_offsets begin " + std::to_string(b) + " > end " + std::to_string(e));
    if (e > data_size)
      return tfail("data_offsets end " + std::to_string(e) + " is past the data section (" +
                   std::to_string(data_size) + " bytes): file truncated?");
    const uint64_t expected = numel * DTypeSize(info.dtype);
    if (e - b != expected)
      return tfail("data_offsets span " + std::to_string(e - b) + " bytes but dtype " + dtype + " x shape " +
                   ShapeToString(info.shape) + " needs " + std::to_string(expected));
    info.begin = b;
    info.end = e;
    st.tensors_.push_back(std::move(info));
  }

  // The data section must be covered exactly: no overlap, no gap, nothing trailing.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : st.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  size_t cursor = 0;
  for (const TensorInfo* t : by_offset) {
    if (t->begin < cursor) return fail("tensor '" + t->name + "' overlaps the previous tensor's data");
    if (t->begin > cursor)
      return fail("gap of " + std::to_string(t->begin - cursor) + " bytes before tensor '" + t->name + "'");
    cursor = t->end;
  }
  if (cursor != data_size)
    return fail(std::to_string(data_size - cursor) + " trailing bytes after the last tensor's data");

  st.bytes_ = std::move(bytes);
  return st;
}

const TensorInfo* SafeTensors::Find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Expected<const TensorInfo*> SafeTensors::Lookup(const std::string& name) const {
  const TensorInfo* t = Find(name);
  if (!t) return NotFound(source_ + ": no tensor named '" + name + "'");
  return t;
}

Expected<Tensor> SafeTensors::GetFloat(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  Tensor out(t->shape);
  if (!out.ok()) return OutOfMemory(source_ + ": out of memory for tensor '" + name + "'");
  const uint8_t* p = DataOf(*t);
  const size_t n = out.size();
  switch (t->dtype) {
    case DType::kF32: for (size_t i = 0; i < n; ++i) out[i] = LoadLE<float>(p + 4 * i); break;
    case DType::kF16: for (size_t i = 0; i < n; ++i) out[i] = HalfToFloat(LoadLE<uint16_t>(p + 2 * i)); break;
    case DType::kBF16: for (size_t i = 0; i < n; ++i) out[i] = BFloat16ToFloat(LoadLE<uint16_t>(p + 2 * i)); break;
    case DType::kF64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(LoadLE<double>(p + 8 * i)); break;
    default:
      return InvalidArgument(source_ + ": tensor '" + name + "' has dtype " + DTypeName(t->dtype) +
                             ", expected a floating-point dtype");
  }
  return out;
}

Expected<std::vector<int64_t>> SafeTensors::GetInt(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  const size_t n = static_cast<size_t>(NumElements(t->shape));
  std::vector<int64_t> out(n);
  const uint8_t* p = DataOf(*t);
  if (t->dtype == DType::kI64) {
    for (size_t i = 0; i < n; ++i) out[i] = LoadLE<int64_t>(p + 8 * i);
  } else if (t->dtype == DType::kI32) {
    for (size_t i = 0; i < n; ++i) out[i] = LoadLE<int32_t>(p + 4 * i);
  } else {
    return InvalidArgument(source_ + ": tensor '" + name + "' has dtype " + DTypeName(t->dtype) +
                           ", expected I64 or I32");
  }
  return out;
}

Expected<std::vector<double>> SafeTensors::GetDouble(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  const size_t n = static_cast<size_t>(NumElements(t->shape));
  std::vector<double> out(n);
  const uint8_t* p = DataOf(*t);
  if (t->dtype == DType::kF64) {
    for (size_t i = 0; i < n; ++i) out[i] = LoadLE<double>(p + 8 * i);
  } else if (t->dtype == DType::kF32) {
    for (size_t i = 0; i < n; ++i) out[i] = LoadLE<float>(p + 4 * i);
  } else {
    return InvalidArgument(source_ + ": tensor '" + name + "' has dtype " + DTypeName(t->dtype) +
                           ", expected F64 or F32");
  }
  return out;
}

// ---- writer ----

void SafeTensorsWriter::AddFloat(const std::string& name, const Tensor& t, DType dtype) {
  AddFloat(name, t.shape(), t.data(), dtype);
}

void SafeTensorsWriter::AddFloat(const std::string& name, const Shape& shape, const float* data, DType dtype) {
  const size_t n = static_cast<size_t>(NumElements(shape));
  Entry e{name, dtype, shape, std::vector<uint8_t>(n * DTypeSize(dtype))};
  for (size_t i = 0; i < n; ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(e.data.data() + 4 * i, data + i, 4);
    } else {
      const uint16_t h = dtype == DType::kF16 ? FloatToHalf(data[i]) : FloatToBFloat16(data[i]);
      std::memcpy(e.data.data() + 2 * i, &h, 2);
    }
  }
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::AddInt64(const std::string& name, const Shape& shape, const int64_t* data) {
  const size_t n = static_cast<size_t>(NumElements(shape));
  Entry e{name, DType::kI64, shape, std::vector<uint8_t>(n * 8)};
  if (n) std::memcpy(e.data.data(), data, n * 8);
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::AddDouble(const std::string& name, const Shape& shape, const double* data) {
  const size_t n = static_cast<size_t>(NumElements(shape));
  Entry e{name, DType::kF64, shape, std::vector<uint8_t>(n * 8)};
  if (n) std::memcpy(e.data.data(), data, n * 8);
  entries_.push_back(std::move(e));
}

std::vector<uint8_t> SafeTensorsWriter::Serialize() const {
  json header = json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  size_t offset = 0;
  for (const Entry& e : entries_) {
    header[e.name] = {{"dtype", DTypeName(e.dtype)}, {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.data.size()}}};
    offset += e.data.size();
  }
  std::string text = header.dump();
  while (text.size() % 8) text.push_back(' ');  // align the data section, as the reference writer does
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  size_t pos = 8 + text.size();
  for (const Entry& e : entries_) {
    if (!e.data.empty()) std::memcpy(out.data() + pos, e.data.data(), e.data.size());
    pos += e.data.size();
  }
  return out;
}

Status SafeTensorsWriter::WriteFile(const std::string& path) const {
  const std::vector<uint8_t> bytes = Serialize();
  return WriteFileAtomic(path, bytes.data(), bytes.size());
}

}  // namespace ddpm
