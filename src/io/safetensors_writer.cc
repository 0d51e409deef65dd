// SafeTensorsWriter: the header JSON lists tensors in insertion order, padded with spaces to a multiple
// of 8 bytes as the reference writer does, so that every tensor's data stays 8-byte aligned.
#include <cstring>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "io/safetensors.h"

namespace ddpm {

namespace {

// JSON strings must be UTF-8; nlohmann's dump() would throw on anything else.
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int extra;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) extra = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) extra = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) extra = 3, cp = c & 0x07;
    else return false;
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

bool SafeTensorsWriter::Admit(const std::string& name, const Shape& shape, size_t* count) {
  if (!status_.ok()) return false;
  auto fail = [&](const std::string& msg) {
    status_ = InvalidArgument("safetensors writer: tensor '" + name + "': " + msg);
    return false;
  };
  if (name == "__metadata__") return fail("the name is reserved for the file's metadata");
  if (!IsValidUtf8(name)) return fail("the name is not valid UTF-8");
  if (names_.count(name)) return fail("added twice");
  if (shape.size() > SafeTensors::kMaxRank) return fail("rank " + std::to_string(shape.size()) + " is too large");
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return fail("negative dimension in shape " + ShapeToString(shape));
    // The reader's bound: the product of the non-zero dimensions times 8 fits in 64 bits.
    if (d != 0 && uint64_t(d) > UINT64_MAX / 8 / n) return fail("shape " + ShapeToString(shape) + " is too large");
    n *= d == 0 ? 1 : uint64_t(d);
  }
  *count = static_cast<size_t>(NumElements(shape));
  names_.emplace(name, entries_.size());
  return true;
}

void SafeTensorsWriter::AddFloat(const std::string& name, const Tensor& t, DType dtype) {
  AddFloat(name, t.shape(), t.data(), dtype);
}

void SafeTensorsWriter::AddFloat(const std::string& name, const Shape& shape, const float* data, DType dtype) {
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16 && dtype != DType::kF64) {
    if (status_.ok())
      status_ = InvalidArgument("safetensors writer: tensor '" + name + "': cannot store floats as " +
                                DTypeName(dtype) + " (use F32, F16, BF16 or F64)");
    return;
  }
  size_t n;
  if (!Admit(name, shape, &n)) return;
  Entry e{name, dtype, shape, std::vector<uint8_t>(n * DTypeSize(dtype))};
  uint8_t* out = e.data.data();
  switch (dtype) {
    case DType::kF32: if (n) std::memcpy(out, data, n * 4); break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        const double v = data[i];
        std::memcpy(out + 8 * i, &v, 8);
      }
      break;
    default:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = dtype == DType::kF16 ? FloatToHalf(data[i]) : FloatToBFloat16(data[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      break;
  }
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::AddInt64(const std::string& name, const Shape& shape, const int64_t* data) {
  size_t n;
  if (!Admit(name, shape, &n)) return;
  Entry e{name, DType::kI64, shape, std::vector<uint8_t>(n * 8)};
  if (n) std::memcpy(e.data.data(), data, n * 8);
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::AddDouble(const std::string& name, const Shape& shape, const double* data) {
  size_t n;
  if (!Admit(name, shape, &n)) return;
  Entry e{name, DType::kF64, shape, std::vector<uint8_t>(n * 8)};
  if (n) std::memcpy(e.data.data(), data, n * 8);
  entries_.push_back(std::move(e));
}

void SafeTensorsWriter::SetMetadata(const std::string& key, const std::string& value) {
  if (!status_.ok()) return;
  if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
    status_ = InvalidArgument("safetensors writer: metadata '" + key + "' is not valid UTF-8");
    return;
  }
  metadata_[key] = value;
}

Expected<std::string> SafeTensorsWriter::Header() const {
  DDPM_RETURN_IF_ERROR(status_);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const Entry& e : entries_) {
    header[e.name] = {{"dtype", DTypeName(e.dtype)}, {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.data.size()}}};
    offset += e.data.size();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& ex) {  // unreachable: names and metadata were checked
    return InvalidArgument(std::string("safetensors writer: ") + ex.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

Expected<std::vector<uint8_t>> SafeTensorsWriter::Serialize() const {
  DDPM_ASSIGN_OR_RETURN(std::string header, Header());
  size_t total = 8 + header.size();
  for (const Entry& e : entries_) total += e.data.size();
  std::vector<uint8_t> out(total);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, header.data(), header.size());
  size_t pos = 8 + header.size();
  for (const Entry& e : entries_) {
    if (!e.data.empty()) std::memcpy(out.data() + pos, e.data.data(), e.data.size());
    pos += e.data.size();
  }
  return out;
}

Status SafeTensorsWriter::WriteFile(const std::string& path) const {
  auto header = Header();
  if (!header.ok()) return header.status().WithContext(path);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(header->size()) >> (8 * i));
  // Streamed span by span: no second copy of a large model in memory.
  std::vector<ByteSpan> spans{{len, 8}, {header->data(), header->size()}};
  for (const Entry& e : entries_) spans.push_back({e.data.data(), e.data.size()});
  return WriteFileAtomic(path, spans);
}

}  // namespace ddpm
