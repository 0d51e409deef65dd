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

}  // namespace ddpm
