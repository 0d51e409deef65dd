// PNG encode/decode round trips (gray, gray+alpha, RGB, RGBA), 16-bit decoding, channel conversion,
// atomic writes, and rejection of corrupt or oversized files with errors naming the source.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "base/rng.h"
#include "io/file_util.h"
#include "io/png.h"
#include "unit/io/io_test_util.h"

using namespace ddpm;
using ddpm::test::TempPath;

namespace {

ImageU8 RandomImage(int w, int h, int c, uint64_t seed) {
  ImageU8 img{w, h, c, std::vector<uint8_t>(size_t(w) * h * c)};
  PhiloxRng rng(seed);
  for (auto& p : img.pixels) p = uint8_t(rng.UniformInt(256));
  return img;
}

// A 2x2 16-bit grayscale PNG with pixels 0, 65535 / 32768, 1 (built with Python's zlib).
const std::vector<uint8_t> kGray16 = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x07, 0x4d, 0x8e, 0xbb, 0x00, 0x00, 0x00, 0x12, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0xf8, 0xff, 0x9f, 0xa1, 0x81, 0x81, 0x81, 0x11, 0x00, 0x0e, 0xfe,
    0x02, 0x80, 0x07, 0x91, 0xdd, 0x9f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
// IHDR of a 5000x5000 gray image (25M pixels; stb itself would accept it) and nothing else: must be refused before anything is allocated.
const std::vector<uint8_t> kHugeHeader = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x13, 0x88, 0x08, 0x00, 0x00, 0x00, 0x00, 0x78, 0xf3, 0xd8, 0x17, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

}  // namespace

TEST_CASE("PNG: 8-bit images round-trip exactly for 1 to 4 channels", "[io][png]") {
  for (int c = 1; c <= 4; ++c) {
    INFO("channels " << c);
    const ImageU8 img = RandomImage(13, 7, c, 100 + c);  // odd sizes: no stride luck
    auto png = EncodePng(img);
    REQUIRE(png.ok());
    CHECK((*png)[1] == 'P');
    auto back = DecodePng(png->data(), png->size(), "mem.png");
    REQUIRE(back.ok());
    CHECK(back->shape() == Shape{1, 7, 13, c});
    for (size_t i = 0; i < img.pixels.size(); ++i)
      if ((*back)[i] != img.pixels[i] / 255.0f) FAIL("pixel byte " << i << " differs");
  }
}

TEST_CASE("PNG: channel conversion and 16-bit files", "[io][png]") {
  ImageU8 gray{2, 1, 1, {0, 255}};
  auto png = EncodePng(gray);
  REQUIRE(png.ok());
  auto rgb = DecodePng(png->data(), png->size(), "gray.png", 3);
  REQUIRE(rgb.ok());
  CHECK(rgb->shape() == Shape{1, 1, 2, 3});
  CHECK(std::vector<float>(rgb->data(), rgb->data() + 6) == std::vector<float>{0, 0, 0, 1, 1, 1});

  auto g16 = DecodePng(kGray16.data(), kGray16.size(), "gray16.png");
  REQUIRE(g16.ok());
  CHECK(g16->shape() == Shape{1, 2, 2, 1});
  CHECK((*g16)[0] == 0.0f);
  CHECK((*g16)[1] == 1.0f);
  CHECK((*g16)[2] == 32768 / 65535.0f);  // full 16-bit precision, not truncated to 8 bits
  CHECK((*g16)[3] == 1 / 65535.0f);
}

TEST_CASE("PNG: WritePng is atomic and ReadPng reads it back", "[io][png]") {
  const std::string path = TempPath("img.png");
  const ImageU8 img = RandomImage(5, 4, 3, 7);
  REQUIRE(WritePng(path, img).ok());
  auto back = ReadPng(path);
  REQUIRE(back.ok());
  CHECK((*back)[5] == img.pixels[5] / 255.0f);
  std::remove(path.c_str());
  const Status bad = WritePng(TempPath("nodir") + "/x.png", img);
  CHECK(!bad.ok());
  CHECK(bad.message().find("x.png") != std::string::npos);
}

TEST_CASE("PNG: bad images and corrupt files are errors naming the source and problem", "[io][png]") {
  CHECK(EncodePng(ImageU8{0, 3, 1, {}}).status().message().find("empty image") != std::string::npos);
  CHECK(EncodePng(ImageU8{2, 2, 5, std::vector<uint8_t>(20)}).status().message().find("5 channels") != std::string::npos);
  CHECK(EncodePng(ImageU8{2, 2, 3, std::vector<uint8_t>(11)}).status().message().find("11 bytes of pixels") !=
        std::string::npos);
  CHECK(EncodePng(ImageU8{5000, 5000, 1, {}}).status().message().find("larger than the limit") != std::string::npos);

  auto huge = DecodePng(kHugeHeader.data(), kHugeHeader.size(), "huge.png");
  REQUIRE(!huge.ok());
  CHECK(huge.status().message().rfind("huge.png: ", 0) == 0);
  CHECK(huge.status().message().find("5000x5000 is larger than the limit") != std::string::npos);

  const std::vector<uint8_t> junk = {1, 2, 3, 4, 5};
  auto j = DecodePng(junk.data(), junk.size(), "junk.png");
  REQUIRE(!j.ok());
  CHECK(j.status().message().find("junk.png: not a PNG (bad signature)") == 0);

  // Found by fuzz_png: an IDAT declaring ~1 GB in an 82-byte file made stb_image allocate 2 GB before
  // noticing the bytes were missing. The chunk walk rejects it first.
  std::vector<uint8_t> liar = *EncodePng(ImageU8{3, 2, 3, std::vector<uint8_t>(18)});
  const size_t idat = 33;  // signature (8) + IHDR chunk (25)
  REQUIRE(std::string(liar.begin() + idat + 4, liar.begin() + idat + 8) == "IDAT");
  liar[idat] = 0x3f;  // length 0x3f...... bytes
  auto l = DecodePng(liar.data(), liar.size(), "liar.png");
  REQUIRE(!l.ok());
  CHECK(l.status().message().find("liar.png: chunk 'IDAT' at byte 33 declares") == 0);
  // Flipped bits are caught by the CRC (stb checks none).
  std::vector<uint8_t> flipped = *EncodePng(ImageU8{3, 2, 3, std::vector<uint8_t>(18)});
  flipped[idat + 10] ^= 1;
  CHECK(DecodePng(flipped.data(), flipped.size(), "f.png").status().message().find("CRC mismatch in chunk 'IDAT'") !=
        std::string::npos);

  // Every truncation of a valid file fails cleanly (no crash, names the file) unless only the final
  // 12-byte IEND chunk was cut (stb stops at IEND and checks no CRC): then the image is complete.
  const ImageU8 img = RandomImage(9, 9, 3, 3);
  auto png = EncodePng(img);
  REQUIRE(png.ok());
  for (size_t n = 0; n < png->size(); ++n) {
    auto t = DecodePng(png->data(), n, "cut.png");
    if (t.ok()) {
      if (n < png->size() - 12) FAIL("a PNG cut to " << n << " bytes decoded");
      if ((*t)[100] != img.pixels[100] / 255.0f) FAIL("a PNG cut in IEND decoded wrong");
    } else if (t.status().message().rfind("cut.png: ", 0) != 0) {
      FAIL(t.status().message());
    }
  }
  CHECK(DecodePng(png->data(), png->size(), "x.png", 7).status().message().find("desired channels 7") != std::string::npos);
  CHECK(ReadPng("/nonexistent/a.png").status().code() == ErrorCode::kNotFound);
}

TEST_CASE("UnitFloatToU8 follows diffusers' numpy_to_pil", "[io][png]") {
  CHECK(UnitFloatToU8(0.0f) == 0);
  CHECK(UnitFloatToU8(1.0f) == 255);
  CHECK(UnitFloatToU8(-3.0f) == 0);
  CHECK(UnitFloatToU8(7.0f) == 255);
  CHECK(UnitFloatToU8(NAN) == 0);
  CHECK(UnitFloatToU8(0.5f) == 128);  // 127.5 rounds half to even: 128
  CHECK(UnitFloatToU8(2.5f / 255) == 2);  // 2.5 -> 2 (half to even), where round() would give 3
  CHECK(UnitFloatToU8(100.4f / 255) == 100);
}

TEST_CASE("PNG: canvas pixels (RGBA8) decode as a PNG of them does, for every channel count", "[io][png]") {
  // A browser's ImageData and an uploaded PNG must reach the model as the same tensor.
  ImageU8 rgba;
  rgba.width = 7;
  rgba.height = 5;
  rgba.channels = 4;
  for (int i = 0; i < 7 * 5 * 4; ++i) rgba.pixels.push_back(uint8_t((i * 37 + 11) % 256));
  auto png = EncodePng(rgba);
  REQUIRE(png.ok());
  for (int channels : {0, 1, 2, 3, 4}) {
    auto from_png = DecodePng(png->data(), png->size(), "png", channels);
    auto from_canvas = DecodeRgba8(rgba.pixels.data(), rgba.pixels.size(), 7, 5, "canvas", channels);
    REQUIRE(from_png.ok());
    REQUIRE(from_canvas.ok());
    INFO("channels " << channels);
    REQUIRE(from_canvas->shape() == from_png->shape());
    CHECK(std::memcmp(from_canvas->data(), from_png->data(), from_png->size() * sizeof(float)) == 0);
  }
  auto short_buffer = DecodeRgba8(rgba.pixels.data(), 10, 7, 5, "canvas");
  CHECK_THAT(short_buffer.status().message(), Catch::Contains("canvas: 10 bytes, but 7x5 RGBA pixels need 140"));
  CHECK_THAT(DecodeRgba8(rgba.pixels.data(), 0, 0, 5, "canvas").status().message(), Catch::Contains("empty image"));
}
