#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "io/file_util.h"
#include "train/datasets.h"

using namespace ddpm;

TEST_CASE("Fashion-MNIST test split loads padded to 32x32 in [-1, 1]", "[train][data]") {
  if (!FileExists(std::string(kDefaultFashionMnistDir) + "/t10k-images-idx3-ubyte.gz")) {
    FAIL("Debian's dataset-fashion-mnist is not installed (tools/setup.sh installs it)");
  }
  auto ds = LoadFashionMnist(kDefaultFashionMnistDir, "t10k");
  REQUIRE(ds.ok());
  CHECK(ds->count == 10000);
  CHECK(ds->height == 32);
  CHECK(ds->width == 32);
  CHECK(ds->num_classes == 10);
  const auto [lo, hi] = std::minmax_element(ds->images.begin(), ds->images.end());
  CHECK(*lo == -1.0f);
  CHECK(*hi == 1.0f);
  // The 2-pixel border is padding; the garment is inside.
  const float* img = ds->image(0);
  for (int x = 0; x < 32; ++x) CHECK(img[x] == -1.0f);
  std::set<int> classes(ds->labels.begin(), ds->labels.end());
  CHECK(classes.size() == 10);
  CHECK(ds->labels[0] == 9);  // the first test image is an ankle boot
}

TEST_CASE("bad IDX input is a clear error", "[train][data]") {
  std::vector<uint8_t> junk = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
  auto r = ParseIdxImages(junk, "x.idx", 32);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("x.idx") != std::string::npos);
  auto missing = LoadFashionMnist("/nonexistent", "train");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("not found") != std::string::npos);
  CHECK_FALSE(LoadFashionMnist(kDefaultFashionMnistDir, "validation").ok());
}

TEST_CASE("toy 2D sets are deterministic and roughly unit scale", "[train][data]") {
  for (auto kind : {Toy2DKind::kSwissRoll, Toy2DKind::kMoons, Toy2DKind::kGaussians}) {
    auto a = MakeToy2D(kind, 1000, 7), b = MakeToy2D(kind, 1000, 7), c = MakeToy2D(kind, 1000, 8);
    CHECK(a == b);
    CHECK(a != c);
    double sq = 0;
    for (float v : a) sq += double(v) * v;
    const double rms = std::sqrt(sq / a.size());
    CHECK(rms > 0.3);
    CHECK(rms < 2.0);
  }
  CHECK_FALSE(ParseToy2DKind("spiral").ok());
}

TEST_CASE("BatchSampler visits every index once per epoch and resumes exactly", "[train][data]") {
  BatchSampler s(10, 3);
  std::vector<int64_t> batch, seen;
  for (int i = 0; i < 5; ++i) {
    s.Next(2, &batch);
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 10; ++i) CHECK(sorted[i] == i);

  s.Next(3, &batch);  // crosses into epoch 1
  const int64_t epoch = s.epoch(), cursor = s.cursor();
  std::vector<int64_t> next_a, next_b;
  s.Next(4, &next_a);
  BatchSampler resumed(10, 3);
  resumed.Seek(epoch, cursor);
  resumed.Next(4, &next_b);
  CHECK(next_a == next_b);
}
