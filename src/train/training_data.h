// Where `ddpm train --data SPEC` gets its examples: `fashion-mnist[:DIR]` (IDX files, Debian's
// dataset-fashion-mnist by default), `images:DIR` (a folder of same-sized PNGs) or
// `toy2d:swissroll|moons|gaussians` (points in the plane).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "train/datasets.h"

namespace ddpm {

class TrainingData {
 public:
  static Expected<TrainingData> FromSpec(const std::string& spec, uint64_t seed);

  const std::string& spec() const { return spec_; }
  bool is_toy() const { return toy_; }
  int64_t count() const { return count_; }
  int num_classes() const { return images_.num_classes; }
  // One example's shape: [C, H, W] for images, [2] for toy points.
  const Shape& example_shape() const { return example_shape_; }
  const std::vector<float>& toy_points() const { return points_; }

  // Gathers the examples at `indices` into x0 [B, ...example_shape] and their labels (empty if none).
  void Gather(const std::vector<int64_t>& indices, Tensor* x0, std::vector<int64_t>* labels) const;

 private:
  std::string spec_;
  bool toy_ = false;
  int64_t count_ = 0;
  Shape example_shape_;
  ImageDataset images_;
  std::vector<float> points_;
};

// Loads every *.png of a folder (sorted by name) as one unlabelled dataset, NCHW in [-1, 1].
Expected<ImageDataset> LoadImageFolder(const std::string& dir);

}  // namespace ddpm
