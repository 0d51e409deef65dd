#include "train/training_data.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "io/png.h"

namespace ddpm {

namespace {
constexpr int64_t kToyPoints = 100000;
}

Expected<ImageDataset> LoadImageFolder(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return NotFound("images:" + dir + ": not a directory");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".png") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) return NotFound("images:" + dir + ": no .png files");
  ImageDataset ds;
  for (const std::string& f : files) {
    DDPM_ASSIGN_OR_RETURN(Tensor img, ReadPng(f, ds.channels));  // NHWC [1, H, W, C] in [0, 1]
    const int h = int(img.dim(1)), w = int(img.dim(2)), c = int(img.dim(3));
    if (ds.count == 0) {
      if (c == 2 || c == 4) {  // drop alpha: diffusion models here take gray or RGB
        DDPM_ASSIGN_OR_RETURN(img, ReadPng(f, c == 2 ? 1 : 3));
      }
      ds.channels = int(img.dim(3));
      ds.height = h;
      ds.width = w;
    } else if (h != ds.height || w != ds.width) {
      return InvalidArgument(f + ": size " + std::to_string(w) + "x" + std::to_string(h) + " differs from the first image's " +
                             std::to_string(ds.width) + "x" + std::to_string(ds.height));
    }
    const size_t offset = ds.images.size();
    ds.images.resize(offset + ds.image_size());
    for (int ch = 0; ch < ds.channels; ++ch)
      for (int p = 0; p < h * w; ++p) ds.images[offset + size_t(ch) * h * w + p] = img[size_t(p) * ds.channels + ch] * 2 - 1;
    ++ds.count;
  }
  return ds;
}

Expected<TrainingData> TrainingData::FromSpec(const std::string& spec, uint64_t seed) {
  TrainingData d;
  d.spec_ = spec;
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "toy2d") {
    DDPM_ASSIGN_OR_RETURN(Toy2DKind k, ParseToy2DKind(arg));
    d.toy_ = true;
    d.points_ = MakeToy2D(k, kToyPoints, seed);
    d.count_ = kToyPoints;
    d.example_shape_ = {2};
    return d;
  }
  if (kind == "fashion-mnist") {
    DDPM_ASSIGN_OR_RETURN(d.images_, LoadFashionMnist(arg.empty() ? kDefaultFashionMnistDir : arg, "train"));
  } else if (kind == "images") {
    if (arg.empty()) return InvalidArgument("--data images:DIR needs a folder");
    DDPM_ASSIGN_OR_RETURN(d.images_, LoadImageFolder(arg));
  } else {
    return InvalidArgument("--data '" + spec + "' must be fashion-mnist[:DIR], images:DIR or toy2d:swissroll|moons|gaussians");
  }
  d.count_ = d.images_.count;
  d.example_shape_ = {d.images_.channels, d.images_.height, d.images_.width};
  return d;
}

void TrainingData::Gather(const std::vector<int64_t>& indices, Tensor* x0, std::vector<int64_t>* labels) const {
  Shape shape{int64_t(indices.size())};
  shape.insert(shape.end(), example_shape_.begin(), example_shape_.end());
  if (x0->shape() != shape) *x0 = Tensor(shape);
  const size_t per = size_t(NumElements(example_shape_));
  labels->clear();
  for (size_t i = 0; i < indices.size(); ++i) {
    const float* src = toy_ ? points_.data() + indices[i] * 2 : images_.image(indices[i]);
    std::memcpy(x0->data() + i * per, src, per * sizeof(float));
    if (!toy_ && !images_.labels.empty()) labels->push_back(images_.labels[size_t(indices[i])]);
  }
}

}  // namespace ddpm
