#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#include <nlohmann/json.hpp>

#include "io/file_util.h"

namespace ddpm {

namespace {

constexpr DType kAllDTypes[] = {DType::kF32, DType::kF16,  DType::kBF16, DType::kF64,   DType::kI64,
                                DType::kI32, DType::kI16,  DType::kI8,   DType::kU8,    DType::kU16,
                                DType::kU32, DType::kU64,  DType::kBool, DType::kF8E4M3, DType::kF8E5M2};

bool ParseDType(const std::string& s, DType* d) {
  for (DType c : kAllDTypes) {
    if (s == DTypeName(c)) {
      *d = c;
      return true;
    }
  }
  return false;
}

// Names and values from a hostile file can be megabytes long; error messages show a prefix.
std::string Clip(const std::string& s, size_t max = 80) {
  return s.size() <= max ? s : s.substr(0, max) + "...(" + std::to_string(s.size()) + " bytes)";
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

// Parses the header with nlohmann's SAX interface straight into TensorInfo records, never building a
// DOM. Checking each event against the one shape a header can have rejects duplicate keys (which a DOM
// silently drops), bounds nesting at three levels (a shape entry that opens an array is already an
// error) and keeps memory proportional to what is stored. The first problem is kept in `error`.
class HeaderParser {
 public:
  using json = nlohmann::json;

  std::string error;
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string, size_t> index;
  std::map<std::string, std::string> metadata;

  bool null() { return Value("null"); }
  bool boolean(bool b) { return Value(b ? "true" : "false"); }
  bool number_integer(json::number_integer_t v) {
    if (v >= 0) return number_unsigned(static_cast<uint64_t>(v));  // "-0"
    return Value(std::to_string(v));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (depth_ != 3) return Value(std::to_string(v));
    if (field_ == Field::kShape) {
      if (cur_.shape.size() == SafeTensors::kMaxRank)
        return TensorFail("shape has more than " + std::to_string(SafeTensors::kMaxRank) + " dimensions");
      // Every dimension (zeros aside) must keep the byte count in range, so that no later product
      // of dimensions, strides or sizes can overflow.
      if (v != 0) {
        if (v > std::numeric_limits<uint64_t>::max() / 8 / nonzero_product_)
          return TensorFail("shape overflows: the product of its dimensions is too large");
        nonzero_product_ *= v;
      } else {
        has_zero_dim_ = true;
      }
      cur_.shape.push_back(static_cast<int64_t>(v));
      return true;
    }
    if (offsets_.size() == 2) return TensorFail("'data_offsets' has more than two entries");
    offsets_.push_back(v);
    return true;
  }
  bool number_float(json::number_float_t, const std::string& text) { return Value(text); }
  bool string(std::string& s) {
    if (depth_ == 2 && in_metadata_) {
      metadata.emplace(std::move(meta_key_), std::move(s));
      return true;
    }
    if (depth_ == 2 && field_ == Field::kDType) {
      if (!ParseDType(s, &cur_.dtype)) {
        std::string known;
        for (DType d : kAllDTypes) known += std::string(known.empty() ? "" : ", ") + DTypeName(d);
        return TensorFail("unknown dtype '" + Clip(s) + "' (known: " + known + ")");
      }
      return true;
    }
    std::string shown(1, '"');  // (not "\"" + ...: GCC 12 warns falsely about that)
    shown += Clip(s, 40);
    shown += '"';
    return Value(shown);
  }
  bool binary(json::binary_t&) { return Value("binary"); }

  bool start_object(std::size_t) {
    switch (depth_++) {
      case 0: return true;
      case 1:
        if (in_metadata_) return true;
        cur_ = TensorInfo{};
        cur_.name = entry_;
        seen_dtype_ = seen_shape_ = seen_offsets_ = false;
        return true;
      default: --depth_; return Value("an object");
    }
  }
  bool key(std::string& k) {
    if (depth_ == 1) {
      entry_ = std::move(k);
      in_metadata_ = entry_ == "__metadata__";
      if (in_metadata_) {
        if (seen_metadata_) return Fail("duplicate key '__metadata__'");
        seen_metadata_ = true;
      } else if (index.count(entry_)) {
        return Fail("duplicate tensor name '" + Clip(entry_) + "'");
      }
      return true;
    }
    if (in_metadata_) {
      if (metadata.count(k)) return Fail("duplicate __metadata__ key '" + Clip(k) + "'");
      meta_key_ = std::move(k);
      return true;
    }
    bool* seen = nullptr;
    if (k == "dtype") field_ = Field::kDType, seen = &seen_dtype_;
    else if (k == "shape") field_ = Field::kShape, seen = &seen_shape_;
    else if (k == "data_offsets") field_ = Field::kOffsets, seen = &seen_offsets_;
    else return TensorFail("unknown field '" + Clip(k) + "' (expected dtype, shape, data_offsets)");
    if (*seen) return TensorFail("duplicate field '" + k + "'");
    *seen = true;
    return true;
  }
  bool end_object() {
    if (--depth_ != 1 || in_metadata_) return true;
    if (!seen_dtype_ || !seen_shape_ || !seen_offsets_)
      return TensorFail(std::string("missing field '") +
                        (!seen_dtype_ ? "dtype" : !seen_shape_ ? "shape" : "data_offsets") + "'");
    return Finish();
  }
  bool start_array(std::size_t) {
    if (depth_ != 2 || in_metadata_ || field_ == Field::kDType) return Value("an array");
    ++depth_;
    if (field_ == Field::kShape) {
      nonzero_product_ = 1;
      has_zero_dim_ = false;
    } else {
      offsets_.clear();
    }
    return true;
  }
  bool end_array() {
    --depth_;
    if (field_ == Field::kOffsets && offsets_.size() != 2) return TensorFail("'data_offsets' needs two entries");
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    return Fail("header is not valid JSON (at byte " + std::to_string(position) + "): " + Clip(e.what(), 200));
  }

  // Set by the caller: the data section's size, which every data_offsets must fit in.
  uint64_t data_size = 0;

 private:
  enum class Field { kDType, kShape, kOffsets };

  bool Fail(std::string msg) {
    error = std::move(msg);
    return false;
  }
  bool TensorFail(const std::string& msg) { return Fail("tensor '" + Clip(cur_.name) + "': " + msg); }

  // A value of the wrong kind where the schema expects something else; `what` describes it.
  bool Value(const std::string& what) {
    switch (depth_) {
      case 0: return Fail("header JSON is not an object (starts with " + what + ")");
      case 1:
        if (in_metadata_) return what == "null" ? true : Fail("__metadata__ is not an object, got " + what);
        cur_.name = entry_;
        return TensorFail("entry is not an object, got " + what);
      case 2:
        if (in_metadata_) return Fail("__metadata__ value for '" + Clip(meta_key_) + "' is not a string, got " + what);
        return TensorFail(field_ == Field::kDType ? "'dtype' must be a string, got " + what
                                                  : std::string(field_ == Field::kShape ? "'shape'" : "'data_offsets'") +
                                                        " must be an array of non-negative integers, got " + what);
      default:
        return TensorFail(std::string(field_ == Field::kShape ? "shape" : "data_offsets") +
                          " entries must be non-negative integers, got " + what);
    }
  }

  // The tensor's record is complete: check dtype x shape against data_offsets.
  bool Finish() {
    const uint64_t b = offsets_[0], e = offsets_[1];
    if (b > e) return TensorFail("data_offsets begin " + std::to_string(b) + " > end " + std::to_string(e));
    if (e > data_size)
      return TensorFail("data_offsets end " + std::to_string(e) + " is past the data section (" +
                        std::to_string(data_size) + " bytes): file truncated?");
    const uint64_t need = has_zero_dim_ ? 0 : nonzero_product_ * DTypeSize(cur_.dtype);
    if (e - b != need)
      return TensorFail("data_offsets span " + std::to_string(e - b) + " bytes but dtype " + DTypeName(cur_.dtype) +
                        " x shape " + ShapeToString(cur_.shape) + " needs " + std::to_string(need));
    cur_.begin = static_cast<size_t>(b);
    cur_.end = static_cast<size_t>(e);
    index.emplace(cur_.name, tensors.size());
    tensors.push_back(std::move(cur_));
    return true;
  }

  int depth_ = 0;
  std::string entry_, meta_key_;
  bool in_metadata_ = false, seen_metadata_ = false;
  Field field_ = Field::kDType;
  bool seen_dtype_ = false, seen_shape_ = false, seen_offsets_ = false;
  TensorInfo cur_;
  std::vector<uint64_t> offsets_;
  uint64_t nonzero_product_ = 1;
  bool has_zero_dim_ = false;
};

// The data section must be covered exactly: no overlap, no gap, nothing trailing.
std::string CheckCoverage(const std::vector<TensorInfo>& tensors, size_t data_size) {
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const auto& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  size_t cursor = 0;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo* t : by_offset) {
    if (t->begin < cursor)
      return "tensor '" + Clip(t->name) + "' overlaps tensor '" + Clip(prev->name) + "' (bytes " +
             std::to_string(t->begin) + ".." + std::to_string(cursor) + ")";
    if (t->begin > cursor)
      return "gap of " + std::to_string(t->begin - cursor) + " unused bytes before tensor '" + Clip(t->name) + "'";
    if (t->end > t->begin) prev = t;  // an empty tensor overlaps nothing
    cursor = std::max(cursor, t->end);
  }
  if (cursor != data_size) return std::to_string(data_size - cursor) + " trailing bytes after the last tensor's data";
  return "";
}

}  // namespace

const char* DTypeName(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kU16: return "U16";
    case DType::kU32: return "U32";
    case DType::kU64: return "U64";
    case DType::kBool: return "BOOL";
    case DType::kF8E4M3: return "F8_E4M3";
    case DType::kF8E5M2: return "F8_E5M2";
  }
  return "?";
}

size_t DTypeSize(DType d) {
  switch (d) {
    case DType::kI8: case DType::kU8: case DType::kBool: case DType::kF8E4M3: case DType::kF8E5M2: return 1;
    case DType::kF16: case DType::kBF16: case DType::kI16: case DType::kU16: return 2;
    case DType::kF32: case DType::kI32: case DType::kU32: return 4;
    case DType::kF64: case DType::kI64: case DType::kU64: return 8;
  }
  return 0;
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

  // nlohmann's lexer takes a NUL byte for the end of input, so "{}\0<anything>" would pass as "{}".
  // A raw NUL is never valid JSON (inside strings it must be escaped), so reject it up front.
  if (std::memchr(bytes.data() + 8, 0, static_cast<size_t>(header_len)) != nullptr)
    return fail("header is not valid JSON: it contains a NUL byte at offset " +
                std::to_string(static_cast<const uint8_t*>(std::memchr(bytes.data() + 8, 0, header_len)) -
                               bytes.data()));

  HeaderParser parser;
  const size_t data_start = 8 + static_cast<size_t>(header_len);
  parser.data_size = bytes.size() - data_start;
  try {
    const uint8_t* header = bytes.data() + 8;
    if (!nlohmann::json::sax_parse(header, header + header_len, &parser)) return fail(parser.error);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(source + ": out of memory parsing the header");
  }
  if (std::string problem = CheckCoverage(parser.tensors, parser.data_size); !problem.empty()) return fail(problem);

  SafeTensors st;
  st.source_ = std::move(source);
  st.bytes_ = std::move(bytes);
  st.data_start_ = data_start;
  st.tensors_ = std::move(parser.tensors);
  st.index_ = std::move(parser.index);
  st.metadata_ = std::move(parser.metadata);
  return st;
}

const TensorInfo* SafeTensors::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Expected<const TensorInfo*> SafeTensors::Lookup(const std::string& name) const {
  const TensorInfo* t = Find(name);
  if (!t) return NotFound(source_ + ": no tensor named '" + name + "'");
  return t;
}

Status SafeTensors::WrongDType(const TensorInfo& t, const char* expected) const {
  return InvalidArgument(source_ + ": tensor '" + t.name + "' has dtype " + DTypeName(t.dtype) + ", expected " +
                         expected);
}

Expected<Tensor> SafeTensors::GetFloat(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  const DType d = t->dtype;
  if (d != DType::kF32 && d != DType::kF16 && d != DType::kBF16 && d != DType::kF64)
    return WrongDType(*t, "a floating-point dtype (F32, F16, BF16, F64)");
  Tensor out(t->shape);
  if (!out.ok()) return OutOfMemory(source_ + ": out of memory for tensor '" + name + "'");
  const uint8_t* p = DataOf(*t);
  const size_t n = out.size();
  switch (d) {
    case DType::kF32: if (n) std::memcpy(out.data(), p, n * 4); break;
    case DType::kF16: for (size_t i = 0; i < n; ++i) out[i] = HalfToFloat(LoadLE<uint16_t>(p + 2 * i)); break;
    case DType::kBF16: for (size_t i = 0; i < n; ++i) out[i] = BFloat16ToFloat(LoadLE<uint16_t>(p + 2 * i)); break;
    default: for (size_t i = 0; i < n; ++i) out[i] = DoubleToFloat(LoadLE<double>(p + 8 * i)); break;
  }
  return out;
}

Expected<std::vector<int64_t>> SafeTensors::GetInt(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  const size_t n = static_cast<size_t>(NumElements(t->shape));
  const uint8_t* p = DataOf(*t);
  std::vector<int64_t> out;
  out.reserve(n);
  auto widen = [&](auto type_tag) {
    using T = decltype(type_tag);
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(LoadLE<T>(p + sizeof(T) * i));
  };
  switch (t->dtype) {
    case DType::kI64: widen(int64_t{}); break;
    case DType::kI32: widen(int32_t{}); break;
    case DType::kI16: widen(int16_t{}); break;
    case DType::kI8: widen(int8_t{}); break;
    case DType::kU8: case DType::kBool: widen(uint8_t{}); break;
    case DType::kU16: widen(uint16_t{}); break;
    case DType::kU32: widen(uint32_t{}); break;
    case DType::kU64:
      for (size_t i = 0; i < n; ++i) {
        const uint64_t v = LoadLE<uint64_t>(p + 8 * i);
        if (v > uint64_t(std::numeric_limits<int64_t>::max()))
          return InvalidArgument(source_ + ": tensor '" + name + "' element " + std::to_string(i) + " = " +
                                 std::to_string(v) + " does not fit in int64");
        out.push_back(static_cast<int64_t>(v));
      }
      break;
    default: return WrongDType(*t, "an integer dtype");
  }
  return out;
}

Expected<std::vector<double>> SafeTensors::GetDouble(const std::string& name) const {
  DDPM_ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  const size_t n = static_cast<size_t>(NumElements(t->shape));
  if (t->dtype != DType::kF64 && t->dtype != DType::kF32) return WrongDType(*t, "F64 or F32");
  const uint8_t* p = DataOf(*t);
  std::vector<double> out(n);
  if (t->dtype == DType::kF64) {
    if (n) std::memcpy(out.data(), p, n * 8);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = LoadLE<float>(p + 4 * i);
  }
  return out;
}

}  // namespace ddpm
