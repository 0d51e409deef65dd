#include "train/datasets.h"

#include <cmath>
#include <numeric>

#include "io/file_util.h"
#include "io/gzip.h"

namespace ddpm {

namespace {

uint32_t BigEndian32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

// Reads `base` or `base.gz`.
Expected<std::vector<uint8_t>> ReadMaybeGzipped(const std::string& base) {
  if (FileExists(base)) return ReadFileBytes(base);
  const std::string gz = base + ".gz";
  if (!FileExists(gz)) return NotFound(base + "(.gz): not found (install Debian's dataset-fashion-mnist?)");
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(gz));
  return Gunzip(bytes, gz);
}

}  // namespace

Expected<ImageDataset> ParseIdxImages(const std::vector<uint8_t>& b, const std::string& source, int pad_to) {
  if (b.size() < 16 || BigEndian32(b.data()) != 0x803) return ParseError(source + ": not an IDX image file (magic)");
  const uint32_t n = BigEndian32(b.data() + 4), rows = BigEndian32(b.data() + 8), cols = BigEndian32(b.data() + 12);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) return ParseError(source + ": implausible image size");
  if (uint64_t(n) * rows * cols != b.size() - 16)
    return ParseError(source + ": " + std::to_string(b.size() - 16) + " pixel bytes, header says " +
                      std::to_string(uint64_t(n) * rows * cols));
  if (pad_to < int(rows) || pad_to < int(cols)) return InvalidArgument(source + ": pad_to smaller than the images");
  ImageDataset ds;
  ds.count = n;
  ds.channels = 1;
  ds.height = ds.width = pad_to;
  ds.images.assign(size_t(n) * pad_to * pad_to, -1.0f);  // padding is background (black = -1)
  const int top = (pad_to - int(rows)) / 2, left = (pad_to - int(cols)) / 2;
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < rows; ++y)
      for (uint32_t x = 0; x < cols; ++x) {
        const uint8_t px = b[16 + (size_t(i) * rows + y) * cols + x];
        ds.images[(size_t(i) * pad_to + top + y) * pad_to + left + x] = px / 127.5f - 1.0f;
      }
  return ds;
}

Expected<std::vector<int32_t>> ParseIdxLabels(const std::vector<uint8_t>& b, const std::string& source) {
  if (b.size() < 8 || BigEndian32(b.data()) != 0x801) return ParseError(source + ": not an IDX label file (magic)");
  const uint32_t n = BigEndian32(b.data() + 4);
  if (n != b.size() - 8) return ParseError(source + ": label count does not match the file size");
  return std::vector<int32_t>(b.begin() + 8, b.end());
}

Expected<ImageDataset> LoadFashionMnist(const std::string& dir, const std::string& split, int pad_to, int64_t limit) {
  if (split != "train" && split != "t10k") return InvalidArgument("split '" + split + "' must be one of train, t10k");
  const std::string images_path = JoinPath(dir, split + "-images-idx3-ubyte");
  const std::string labels_path = JoinPath(dir, split + "-labels-idx1-ubyte");
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> image_bytes, ReadMaybeGzipped(images_path));
  DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> label_bytes, ReadMaybeGzipped(labels_path));
  DDPM_ASSIGN_OR_RETURN(ImageDataset ds, ParseIdxImages(image_bytes, images_path, pad_to));
  DDPM_ASSIGN_OR_RETURN(ds.labels, ParseIdxLabels(label_bytes, labels_path));
  if (int64_t(ds.labels.size()) != ds.count)
    return ParseError(labels_path + ": " + std::to_string(ds.labels.size()) + " labels for " +
                      std::to_string(ds.count) + " images");
  for (int32_t l : ds.labels)
    if (l < 0 || l > 9) return ParseError(labels_path + ": label " + std::to_string(l) + " outside 0..9");
  ds.num_classes = 10;
  if (limit > 0 && limit < ds.count) {
    ds.count = limit;
    ds.images.resize(size_t(limit) * ds.image_size());
    ds.labels.resize(size_t(limit));
  }
  return ds;
}

Expected<Toy2DKind> ParseToy2DKind(const std::string& name) {
  if (name == "swissroll") return Toy2DKind::kSwissRoll;
  if (name == "moons") return Toy2DKind::kMoons;
  if (name == "gaussians") return Toy2DKind::kGaussians;
  return InvalidArgument("toy2d set '" + name + "' must be one of swissroll, moons, gaussians");
}

std::vector<float> MakeToy2D(Toy2DKind kind, int64_t count, uint64_t seed) {
  PhiloxRng rng(seed);
  const size_t n = static_cast<size_t>(count);
  std::vector<float> u(n), noise(n * 2), pts(n * 2);
  rng.Uniform(u.data(), u.size());
  rng.Normal(noise.data(), noise.size());
  for (int64_t i = 0; i < count; ++i) {
    float x = 0, y = 0;
    switch (kind) {
      case Toy2DKind::kSwissRoll: {  // sklearn's make_swiss_roll (x, z), scaled
        const float t = 1.5f * float(M_PI) * (1.0f + 2.0f * u[i]);
        x = t * std::cos(t) / 7.5f + 0.05f * noise[2 * i];
        y = t * std::sin(t) / 7.5f + 0.05f * noise[2 * i + 1];
        break;
      }
      case Toy2DKind::kMoons: {  // two interleaved half circles
        const bool upper = (i % 2) == 0;
        const float a = float(M_PI) * u[i];
        x = upper ? std::cos(a) : 1.0f - std::cos(a);
        y = upper ? std::sin(a) : 0.5f - std::sin(a);
        x = (x - 0.5f) * 1.6f + 0.08f * noise[2 * i];
        y = (y - 0.25f) * 1.6f + 0.08f * noise[2 * i + 1];
        break;
      }
      case Toy2DKind::kGaussians: {  // 8 gaussians on a circle of radius 2 (scaled by 1/1.414)
        const int k = int(u[i] * 8.0f) % 8;
        const float a = float(M_PI) * k / 4.0f;
        x = (2.0f * std::cos(a) + 0.1f * noise[2 * i]) / 1.414f;
        y = (2.0f * std::sin(a) + 0.1f * noise[2 * i + 1]) / 1.414f;
        break;
      }
    }
    pts[2 * i] = x;
    pts[2 * i + 1] = y;
  }
  return pts;
}

void BatchSampler::Reshuffle() {
  order_.resize(size_t(count_));
  std::iota(order_.begin(), order_.end(), 0);
  PhiloxRng rng(seed_, uint64_t(epoch_) << 32);  // one RNG stream per epoch
  for (int64_t i = count_ - 1; i > 0; --i) std::swap(order_[i], order_[rng.UniformInt(uint32_t(i + 1))]);
}

void BatchSampler::Next(int64_t batch_size, std::vector<int64_t>* indices) {
  indices->clear();
  while (int64_t(indices->size()) < batch_size) {
    if (cursor_ == count_) {
      ++epoch_;
      cursor_ = 0;
      Reshuffle();
    }
    indices->push_back(order_[cursor_++]);
  }
}

void BatchSampler::Seek(int64_t epoch, int64_t cursor) {
  epoch_ = epoch;
  cursor_ = cursor;
  Reshuffle();
}

}  // namespace ddpm
