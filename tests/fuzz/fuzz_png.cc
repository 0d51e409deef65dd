// libFuzzer target: DecodePng (stb_image, PNG only) on arbitrary bytes; what decodes must re-encode and
// decode to the same 8-bit values.
#include <cstdint>
#include <cstdlib>

#include "io/png.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddpm;
  auto t = DecodePng(data, size, "fuzz.png", size ? data[0] % 5 : 0);
  if (!t.ok()) return 0;
  if (t->rank() != 4 || t->dim(0) != 1) std::abort();
  ImageU8 img{int(t->dim(2)), int(t->dim(1)), int(t->dim(3)), {}};
  for (size_t i = 0; i < t->size(); ++i) img.pixels.push_back(UnitFloatToU8((*t)[i]));
  auto png = EncodePng(img);
  if (!png.ok()) std::abort();
  auto back = DecodePng(png->data(), png->size(), "again.png");
  if (!back.ok() || back->shape() != t->shape()) std::abort();
  for (size_t i = 0; i < back->size(); ++i)
    if ((*back)[i] != img.pixels[i] / 255.0f) std::abort();
  return 0;
}
