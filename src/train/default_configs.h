// Model configs `ddpm train` uses when --config is not given.
#pragma once

#include <string>

namespace ddpm {

// UNet2DModel for 32x32 grayscale with `num_classes` labels plus one null label (index num_classes)
// for classifier-free guidance: block_out_channels (16, 32, 64), one resnet per level, attention at
// 8x8. About 0.19 GFLOP per image forward, so a 50-step batch stays interactive in a browser.
std::string DefaultUNetConfigJson(int in_channels, int sample_size, int num_classes);

}  // namespace ddpm
