// A 5x7 pixel font (printable ASCII) for the labels of the plots the core draws.
// Hand-written because no font or plotting library is packaged for both Debian and Emscripten, and the
// wasm build has no system fonts: 95 glyphs of 9 bytes each are smaller than any dependency would be.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ddpm {

// A glyph is 5 pixels wide and 9 rows tall: rows 0..6 stand on the baseline (capitals and digits fill
// them, lower case starts at row 2) and rows 7..8 hold the descenders of g j p q y and the comma's tail.
inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphRows = 9;
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one blank column between characters

// The rows of `c`'s glyph, top to bottom; bit 4 is the leftmost pixel. Characters outside ' '..'~'
// give the '?' glyph.
const std::array<uint8_t, kGlyphRows>& Glyph(char c);

// Width in pixels of `text` drawn at `scale` (no blank column after the last character); 0 when empty.
int TextWidth(std::string_view text, int scale = 1);
inline int TextHeight(int scale = 1) { return kGlyphRows * scale; }

}  // namespace ddpm
