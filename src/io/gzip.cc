#include "io/gzip.h"

#include <cstdlib>

// Private copy of stb_image (static functions) for its inflate only; png.cc owns the public one.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

namespace ddpm {

Expected<std::vector<uint8_t>> Gunzip(const std::vector<uint8_t>& gz, const std::string& source) {
  auto fail = [&](const std::string& m) { return ParseError(source + ": " + m); };
  if (gz.size() < 18 || gz[0] != 0x1f || gz[1] != 0x8b) return fail("not a gzip file (bad magic)");
  if (gz[2] != 8) return fail("unsupported gzip compression method " + std::to_string(gz[2]));
  const uint8_t flags = gz[3];
  size_t pos = 10;
  if (flags & 0x04) {  // FEXTRA
    if (pos + 2 > gz.size()) return fail("truncated gzip header");
    pos += 2 + (gz[pos] | (gz[pos + 1] << 8));
  }
  for (uint8_t bit : {uint8_t(0x08), uint8_t(0x10)}) {  // FNAME, FCOMMENT: zero-terminated
    if (flags & bit) {
      while (pos < gz.size() && gz[pos] != 0) ++pos;
      ++pos;
    }
  }
  if (flags & 0x02) pos += 2;  // FHCRC
  if (pos + 8 > gz.size()) return fail("truncated gzip header");
  // The trailer's ISIZE is the uncompressed size mod 2^32; our files are far below 4 GiB.
  const size_t tail = gz.size() - 4;
  const uint32_t isize = gz[tail] | (gz[tail + 1] << 8) | (gz[tail + 2] << 16) | (uint32_t(gz[tail + 3]) << 24);
  // The 8-byte trailer stays in the input: stb's bit reader may look a few bytes ahead of the stream end.
  std::vector<uint8_t> out(isize);
  const int n = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(out.data()), int(out.size()),
                                                 reinterpret_cast<const char*>(gz.data() + pos), int(gz.size() - pos));
  if (n < 0 || uint32_t(n) != isize) return fail("corrupt gzip data");
  return out;
}

}  // namespace ddpm
