// libFuzzer target: SafeTensors::FromBytes on arbitrary bytes, then every reader on every tensor, and
// a write/read round trip of whatever parsed. Any crash, sanitizer report or broken invariant is a bug.
//
// Two input modes, so that mutations of the JSON keep reaching the validation code: a first byte of
// 'J' means "the rest is header text, a 0xFF byte (never valid in UTF-8 JSON), then the data section";
// the 8-byte length prefix is then computed. Any other input is taken as a raw file.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/safetensors.h"

namespace {

std::vector<uint8_t> Assemble(const uint8_t* data, size_t size) {
  if (size == 0 || data[0] != 'J') return std::vector<uint8_t>(data, data + size);
  const uint8_t* begin = data + 1;
  const uint8_t* end = data + size;
  const uint8_t* sep = static_cast<const uint8_t*>(std::memchr(begin, 0xff, size - 1));
  const uint8_t* header_end = sep ? sep : end;
  const uint64_t n = static_cast<uint64_t>(header_end - begin);
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  out.insert(out.end(), begin, header_end);
  if (sep) out.insert(out.end(), sep + 1, end);
  return out;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddpm;
  auto st = SafeTensors::FromBytes(Assemble(data, size), "fuzz");
  if (!st.ok()) {
    Check(!st.status().message().empty() && st.status().message().size() < 4096);
    return 0;
  }
  SafeTensorsWriter w;
  for (const auto& [k, v] : st->metadata()) w.SetMetadata(k, v);
  for (const TensorInfo& t : st->tensors()) {
    Check(st->Find(t.name) == &t);
    auto f = st->GetFloat(t.name);
    auto i = st->GetInt(t.name);
    auto d = st->GetDouble(t.name);
    Check(f.ok() || i.ok() || !f.status().message().empty());
    if (f.ok()) {
      Check(f->shape() == t.shape);
      const bool f16 = t.dtype == DType::kF16 || t.dtype == DType::kBF16;
      w.AddFloat(t.name, *f, f16 ? t.dtype : DType::kF32);  // F16/BF16 -> float -> same dtype is exact
    } else if (i.ok() && t.dtype == DType::kI64) {
      w.AddInt64(t.name, t.shape, i->data());
    }
    if (d.ok()) Check(d->size() == static_cast<size_t>(NumElements(t.shape)));
  }
  // Whatever parsed must survive our writer and reader unchanged.
  auto bytes = w.Serialize();
  Check(bytes.ok());
  auto again = SafeTensors::FromBytes(std::move(*bytes), "fuzz-again");
  Check(again.ok());
  Check(again->metadata() == st->metadata());
  for (const TensorInfo& t : again->tensors()) {
    const TensorInfo* orig = st->Find(t.name);
    Check(orig && orig->shape == t.shape);
    if (t.dtype == DType::kI64) {
      Check(*again->GetInt(t.name) == *st->GetInt(t.name));
    } else {
      Tensor a = *again->GetFloat(t.name), b = *st->GetFloat(t.name);
      // Bitwise, except that NaN payloads may be quieted.
      for (size_t k = 0; k < a.size(); ++k) Check(std::memcmp(&a[k], &b[k], 4) == 0 || (a[k] != a[k] && b[k] != b[k]));
    }
  }
  return 0;
}
