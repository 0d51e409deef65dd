// The hand-written bitmap font: every printable character has its own glyph within 5 columns, only the
// characters with descenders reach below the baseline, and TextWidth matches the glyph advance.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "io/bitmap_font.h"

using namespace ddpm;

TEST_CASE("bitmap font: each printable character has ink, 5 columns, and a glyph of its own", "[io][font]") {
  std::set<std::array<uint8_t, kGlyphRows>> seen;
  for (char c = '!'; c <= '~'; ++c) {
    INFO("character '" << c << "'");
    const auto& g = Glyph(c);
    int ink = 0;
    for (uint8_t row : g) {
      CHECK((row & ~0x1F) == 0);
      ink += row;
    }
    CHECK(ink > 0);
    CHECK(seen.insert(g).second);  // a copy-pasted row set would collide here
  }
  for (uint8_t row : Glyph(' ')) CHECK(row == 0);
}

TEST_CASE("bitmap font: only g j p q y , ; reach below the baseline", "[io][font]") {
  const std::string descenders = "gjpqy,;";
  for (char c = ' '; c <= '~'; ++c) {
    INFO("character '" << c << "'");
    const auto& g = Glyph(c);
    const bool below = g[7] != 0 || g[8] != 0;
    CHECK(below == (descenders.find(c) != std::string::npos));
  }
}

TEST_CASE("bitmap font: characters outside ASCII draw as '?', and TextWidth counts advances", "[io][font]") {
  CHECK(Glyph('\n') == Glyph('?'));
  CHECK(Glyph(char(0xC3)) == Glyph('?'));
  CHECK(TextWidth("") == 0);
  CHECK(TextWidth("a") == kGlyphWidth);
  CHECK(TextWidth("step") == 4 * kGlyphAdvance - 1);
  CHECK(TextWidth("step", 2) == 2 * (4 * kGlyphAdvance - 1));
  CHECK(TextHeight(3) == 3 * kGlyphRows);
}
