#include "io/png.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "io/file_util.h"

// The public stb_image implementation of the project, PNG only (the smallest attack surface for files
// from elsewhere); no stdio: bytes are read by file_util. stb_image_write likewise.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS (1 << 16)
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace ddpm {

namespace {

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

// Empty when the dimensions are acceptable, else the problem.
std::string CheckDims(int64_t width, int64_t height, int64_t channels) {
  if (width < 1 || height < 1) return "empty image (" + std::to_string(width) + "x" + std::to_string(height) + ")";
  if (channels < 1 || channels > 4) return std::to_string(channels) + " channels, expected 1 to 4";
  if (width * height > kMaxPngPixels)
    return std::to_string(width) + "x" + std::to_string(height) + " is larger than the limit of " +
           std::to_string(kMaxPngPixels) + " pixels";
  return "";
}

uint32_t Crc32(const uint8_t* p, size_t n) {  // the PNG/zlib CRC (polynomial 0xEDB88320)
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}

uint32_t ReadU32BE(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// Walks the chunk list before stb sees the file: stb grows its IDAT buffer to a chunk's declared length
// before checking that the bytes exist, so an 80-byte file declaring a 1 GB IDAT made it allocate 2 GB
// (found by fuzz_png). Every chunk must fit in the file and carry a correct CRC (stb checks none).
// Empty when the structure is sound, else the problem.
std::string CheckChunks(const uint8_t* data, size_t size) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 || std::memcmp(data, kSignature, 8) != 0) return "not a PNG (bad signature)";
  size_t pos = 8;
  bool have_image_data = false;
  while (pos < size) {
    if (size - pos < 12) return "truncated chunk header at byte " + std::to_string(pos);
    const uint32_t len = ReadU32BE(data + pos);
    const std::string type(reinterpret_cast<const char*>(data + pos + 4), 4);
    if (len > size - pos - 12)
      return "chunk '" + type + "' at byte " + std::to_string(pos) + " declares " + std::to_string(len) +
             " bytes but only " + std::to_string(size - pos - 12) + " remain (truncated?)";
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // (the fuzzer could never forge CRCs to get past here)
    if (Crc32(data + pos + 4, len + 4) != ReadU32BE(data + pos + 8 + len))
      return "CRC mismatch in chunk '" + type + "' at byte " + std::to_string(pos);
#endif
    // stb copies an IDAT into a buffer it allocates on the first non-empty one; an empty IDAT before
    // that makes it memcpy to a null pointer (undefined behaviour, found by fuzz_png). No encoder
    // writes one, so refuse it.
    if (type == "IDAT") {
      if (len == 0 && !have_image_data) return "empty IDAT chunk at byte " + std::to_string(pos) + " before any image data";
      have_image_data = true;
    }
    pos += 12 + size_t(len);
    if (type == "IEND") return "";
  }
  return "no IEND chunk (truncated?)";
}

}  // namespace

uint8_t UnitFloatToU8(float x) {
  if (!(x > 0.0f)) return 0;  // also NaN
  if (x >= 1.0f) return 255;
  return static_cast<uint8_t>(std::nearbyint(x * 255.0f));  // numpy's round(): half to even
}

Expected<std::vector<uint8_t>> EncodePng(const ImageU8& image) {
  if (std::string p = CheckDims(image.width, image.height, image.channels); !p.empty())
    return InvalidArgument("PNG encode: " + p);
  const size_t need = size_t(image.width) * size_t(image.height) * size_t(image.channels);
  if (image.pixels.size() != need)
    return InvalidArgument("PNG encode: " + std::to_string(image.pixels.size()) + " bytes of pixels, " +
                           std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                           std::to_string(image.channels) + " needs " + std::to_string(need));
  std::vector<uint8_t> out;
  auto append = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_png_to_func(append, &out, image.width, image.height, image.channels, image.pixels.data(),
                              image.width * image.channels))
    return OutOfMemory("PNG encode: stb_image_write failed (out of memory?)");
  return out;
}

Status WritePng(const std::string& path, const ImageU8& image) {
  auto png = EncodePng(image);
  if (!png.ok()) return png.status().WithContext(path);
  return WriteFileAtomic(path, png->data(), png->size());
}

Expected<Tensor> DecodePng(const uint8_t* data, size_t size, const std::string& source, int desired_channels) {
  auto fail = [&](const std::string& m) { return ParseError(source + ": " + m); };
  if (desired_channels < 0 || desired_channels > 4)
    return InvalidArgument(source + ": desired channels " + std::to_string(desired_channels) + ", expected 0 to 4");
  if (size > size_t(INT_MAX)) return fail("too large for the PNG decoder (" + std::to_string(size) + " bytes)");
  if (std::string p = CheckChunks(data, size); !p.empty()) return fail(p);
  const auto* bytes = reinterpret_cast<const stbi_uc*>(data);
  const int len = static_cast<int>(size);
  int w = 0, h = 0, file_channels = 0;
  // Check the size from the header before stb allocates anything.
  if (!stbi_info_from_memory(bytes, len, &w, &h, &file_channels))
    return fail(std::string("not a readable PNG (") + stbi_failure_reason() + ")");
  const int channels = desired_channels ? desired_channels : file_channels;
  if (std::string p = CheckDims(w, h, channels); !p.empty()) return fail(p);

  Tensor out({1, h, w, channels});
  if (!out.ok()) return OutOfMemory(source + ": out of memory for a " + std::to_string(w) + "x" + std::to_string(h) + " image");
  int dw = 0, dh = 0, dc = 0;
  if (stbi_is_16_bit_from_memory(bytes, len)) {
    std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(bytes, len, &dw, &dh, &dc, channels));
    if (!px) return fail(std::string("corrupt PNG (") + stbi_failure_reason() + ")");
    if (dw != w || dh != h) return fail("PNG header and data disagree on the size");
    for (size_t i = 0; i < out.size(); ++i) out[i] = px.get()[i] / 65535.0f;
  } else {
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(bytes, len, &dw, &dh, &dc, channels));
    if (!px) return fail(std::string("corrupt PNG (") + stbi_failure_reason() + ")");
    if (dw != w || dh != h) return fail("PNG header and data disagree on the size");
    for (size_t i = 0; i < out.size(); ++i) out[i] = px.get()[i] / 255.0f;
  }
  return out;
}

Expected<Tensor> DecodeRgba8(const uint8_t* rgba, size_t size, int width, int height, const std::string& source,
                             int desired_channels) {
  const int channels = desired_channels ? desired_channels : 4;
  if (desired_channels < 0 || desired_channels > 4)
    return InvalidArgument(source + ": desired channels " + std::to_string(desired_channels) + ", expected 0 to 4");
  if (std::string p = CheckDims(width, height, channels); !p.empty()) return InvalidArgument(source + ": " + p);
  const size_t pixels = size_t(width) * size_t(height);
  if (size != pixels * 4)
    return InvalidArgument(source + ": " + std::to_string(size) + " bytes, but " + std::to_string(width) + "x" +
                           std::to_string(height) + " RGBA pixels need " + std::to_string(pixels * 4));
  Tensor out({1, height, width, channels});
  if (!out.ok()) return OutOfMemory(source + ": out of memory for a " + std::to_string(width) + "x" + std::to_string(height) + " image");
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t* px = rgba + 4 * i;
    // stb_image's stbi__compute_y, the grey it gives for an RGB(A) PNG read with 1 or 2 channels.
    const uint8_t grey = uint8_t((px[0] * 77 + px[1] * 150 + px[2] * 29) >> 8);
    float* o = out.data() + i * channels;
    switch (channels) {
      case 1: o[0] = grey / 255.0f; break;
      case 2: o[0] = grey / 255.0f; o[1] = px[3] / 255.0f; break;
      default:
        for (int c = 0; c < channels; ++c) o[c] = px[c] / 255.0f;
    }
  }
  return out;
}

Expected<Tensor> ReadPng(const std::string& path, int desired_channels) {
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  return DecodePng(bytes.data(), bytes.size(), path, desired_channels);
}

}  // namespace ddpm
