// Training data: Fashion-MNIST IDX files (Debian's dataset-fashion-mnist), toy 2D point sets, and
// the seeded batch sampler that draws from them. Images are NCHW floats in [-1, 1].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"

namespace ddpm {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kFashionMnistClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct ImageDataset {
  int64_t count = 0;
  int channels = 0, height = 0, width = 0;
  int num_classes = 0;              // 0 when unlabelled
  std::vector<float> images;        // [count, channels, height, width], in [-1, 1]
  std::vector<int32_t> labels;      // [count] or empty

  size_t image_size() const { return size_t(channels) * height * width; }
  const float* image(int64_t i) const { return images.data() + i * image_size(); }
};

// Reads `{split}-images-idx3-ubyte(.gz)` and `{split}-labels-idx1-ubyte(.gz)` (split "train" or "t10k"),
// pads 28x28 to `pad_to` x `pad_to` with background and scales pixels to [-1, 1]. limit > 0 keeps the first `limit`.
Expected<ImageDataset> LoadFashionMnist(const std::string& dir, const std::string& split, int pad_to = 32,
                                        int64_t limit = 0);

// Parses IDX bytes (big-endian header; magic 0x0803 images or 0x0801 labels).
Expected<ImageDataset> ParseIdxImages(const std::vector<uint8_t>& bytes, const std::string& source, int pad_to);
Expected<std::vector<int32_t>> ParseIdxLabels(const std::vector<uint8_t>& bytes, const std::string& source);

enum class Toy2DKind { kSwissRoll, kMoons, kGaussians };
Expected<Toy2DKind> ParseToy2DKind(const std::string& name);  // "swissroll", "moons", "gaussians"
// `count` points [count, 2], scaled to roughly unit variance, deterministic for a seed.
std::vector<float> MakeToy2D(Toy2DKind kind, int64_t count, uint64_t seed);

// Epoch-based shuffling sampler: each epoch is a seeded permutation of [0, count). Its position
// (epoch, cursor) is all a checkpoint needs to resume the same sequence.
class BatchSampler {
 public:
  BatchSampler(int64_t count, uint64_t seed) : count_(count), seed_(seed) { Reshuffle(); }
  // The sampler of a training run with this seed: the one rule `ddpm train` and the JS trainer share, so
  // that both draw the same batches for the same seed (its stream is kept apart from the trainer's own).
  static BatchSampler ForTraining(int64_t count, uint64_t seed) { return BatchSampler(count, seed ^ 0x9e3779b97f4a7c15ull); }
  void Next(int64_t batch_size, std::vector<int64_t>* indices);
  int64_t epoch() const { return epoch_; }
  int64_t cursor() const { return cursor_; }
  void Seek(int64_t epoch, int64_t cursor);

 private:
  void Reshuffle();
  int64_t count_;
  uint64_t seed_;
  int64_t epoch_ = 0, cursor_ = 0;
  std::vector<int64_t> order_;
};

}  // namespace ddpm
