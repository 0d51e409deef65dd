// Bringing a user's picture to a model's input: centre-crop to the model's aspect ratio, resize to its
// size (area average when shrinking, bilinear when enlarging), NHWC -> NCHW.
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm {

// nhwc [1, H, W, C] (as ReadPng returns it) -> [1, C, height, width], values unchanged in range.
// *note (if not null) is "" when nothing changed, else what was done ("centre-cropped 40x32 to 32x32,
// resized to 28x28").
Expected<Tensor> FitImage(const Tensor& nhwc, int height, int width, std::string* note);

// A decoded picture (DecodePng / DecodeRgba8 with the model's 1 or 3 channels) as a model's input:
// fitted as FitImage does, then mapped from [0, 1] to the model's [-1, 1]. `channels` is the model's.
Expected<Tensor> FitModelImage(const Tensor& nhwc, int64_t channels, int height, int width, std::string* note);

// A decoded grey mask picture fitted as FitImage does, then split at 0.5 as diffusers' RePaint
// preprocessing does: white = 1 = keep the original, black = 0 = fill in. [1, 1, height, width].
Expected<Tensor> FitMask(const Tensor& nhwc_grey, int height, int width, std::string* note);

}  // namespace ddpm
