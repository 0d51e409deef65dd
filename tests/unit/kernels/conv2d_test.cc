// Conv2d (im2col + packed GEMM) against the direct scalar convolution Conv2dScalar.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/conv2d/backend.h"
#include "kernels/conv2d/conv2d.h"

namespace {

using ddpm::ThreadPool;
using ddpm::kernels::Conv2dParams;

struct ConvCase {
  Conv2dParams p;
  int batch = 1, h = 5, w = 5;
  bool accumulate = false;
  int threads = 1;
};

// Same stated tolerance as the GEMM tests, with k = kh*kw*cin: inputs in [-1, 1] give
// |error| <= 1e-6 * (k + 1) * (1 + |ref|).
void CheckConv(const ConvCase& t) {
  const Conv2dParams& p = t.p;
  INFO("cin=" << p.cin << " cout=" << p.cout << " k=" << p.kh << "x" << p.kw << " stride=" << p.stride
              << " pad=" << p.pad_top << "," << p.pad_left << "," << p.pad_bottom << "," << p.pad_right
              << " batch=" << t.batch << " hw=" << t.h << "x" << t.w << " accumulate=" << t.accumulate
              << " threads=" << t.threads);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> weight(size_t(p.cout) * p.cin * p.kh * p.kw), bias(p.cout);
  std::vector<float> x(size_t(t.batch) * t.h * t.w * p.cin);
  for (auto* v : {&weight, &bias, &x}) for (float& f : *v) f = dist(rng);
  const int oh = ddpm::kernels::Conv2dOutDim(t.h, p.kh, p.stride, p.pad_top, p.pad_bottom);
  const int ow = ddpm::kernels::Conv2dOutDim(t.w, p.kw, p.stride, p.pad_left, p.pad_right);
  const size_t out = size_t(t.batch) * oh * ow * p.cout;
  constexpr size_t kCanaries = 19;
  std::vector<float> y(out + kCanaries, std::nanf(""));
  for (size_t i = 0; i < out; ++i) y[i] = t.accumulate ? dist(rng) : std::nanf("");
  std::vector<float> ref = y;
  ddpm::kernels::Conv2dScalar(p, weight.data(), bias.data(), x.data(), t.batch, t.h, t.w, ref.data(),
                              t.accumulate);

  const auto packed = ddpm::kernels::PackedConv2d::Pack(p, weight.data(), bias.data());
  // Under Backend::kXnnpack, Pack must have built the XNNPACK operator (else we would test ours).
  CHECK((packed.xnn() != nullptr) == (ddpm::kernels::GetBackend() == ddpm::kernels::Backend::kXnnpack));
  ThreadPool pool(t.threads);
  std::vector<float> scratch(ddpm::kernels::Conv2dScratchFloats(packed, t.batch, t.h, t.w, t.threads) + 1);
  ddpm::kernels::Conv2d(packed, x.data(), t.batch, t.h, t.w, y.data(), t.accumulate, scratch.data(), &pool);

  const size_t k = size_t(p.kh) * p.kw * p.cin;
  size_t bad = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const bool ok = i < out ? std::fabs(double(y[i]) - ref[i]) <= 1e-6 * double(k + 1) * (1 + std::fabs(ref[i]))
                            : std::isnan(y[i]);
    if (!ok && bad++ < 5) {
      INFO("y[" << i << "] = " << y[i] << ", reference " << ref[i] << (i < out ? "" : " (canary)"));
      CHECK(false);
    }
  }
  CHECK(bad == 0);
}

Conv2dParams Params(int cin, int cout, int k, int stride, int pt, int pl, int pb, int pr) {
  Conv2dParams p;
  p.cin = cin; p.cout = cout; p.kh = p.kw = k; p.stride = stride;
  p.pad_top = pt; p.pad_left = pl; p.pad_bottom = pb; p.pad_right = pr;
  return p;
}

}  // namespace

TEST_CASE("Conv2d 3x3 pad 1 over odd channels, batch 1 and 7", "[kernels][conv2d]") {
  for (int cin : {1, 3, 5, 17}) {
    for (int cout : {1, 7, 33}) {
      for (int batch : {1, 7}) CheckConv({Params(cin, cout, 3, 1, 1, 1, 1, 1), batch, 5, 6});
    }
  }
}

TEST_CASE("Conv2d on 1x1 images and 1x1 kernels (Linear)", "[kernels][conv2d]") {
  CheckConv({Params(7, 9, 3, 1, 1, 1, 1, 1), 3, 1, 1});
  CheckConv({Params(13, 21, 1, 1, 0, 0, 0, 0), 7, 1, 1});  // Linear, batch 7
  CheckConv({Params(13, 21, 1, 1, 0, 0, 0, 0), 1, 4, 3, true});
  CheckConv({Params(5, 3, 1, 1, 1, 1, 1, 1), 2, 3, 3});  // padded 1x1 goes through im2col
}

TEST_CASE("Conv2d stride 2 with diffusers' asymmetric downsample padding (0,0,1,1)", "[kernels][conv2d]") {
  for (int hw : {4, 7, 8}) {
    CheckConv({Params(6, 10, 3, 2, 0, 0, 1, 1), 2, hw, hw});
    CheckConv({Params(6, 10, 3, 2, 1, 1, 1, 1), 1, hw, hw + 1});
  }
}

TEST_CASE("Conv2d accumulate (fused residual) and threads", "[kernels][conv2d]") {
  for (int threads : {1, 2}) {
    CheckConv({Params(16, 32, 3, 1, 1, 1, 1, 1), 2, 8, 8, true, threads});
    CheckConv({Params(32, 24, 3, 1, 1, 1, 1, 1), 7, 9, 11, false, threads});  // many row blocks
    CheckConv({Params(8, 40, 3, 1, 1, 1, 1, 1), 1, 2, 2, false, threads});   // fewer blocks than threads
  }
}

TEST_CASE("Conv2d on the XNNPACK backend matches the scalar twin", "[kernels][conv2d][xnnpack]") {
  using ddpm::kernels::Backend;
  if (!ddpm::kernels::BackendAvailable(Backend::kXnnpack)) {
    CHECK_FALSE(ddpm::kernels::SetBackend(Backend::kXnnpack).ok());
    CHECK(ddpm::kernels::ParseBackend("xnnpack").status().message().find("must be one of ddpm") !=
          std::string::npos);
    return;
  }
  REQUIRE(ddpm::kernels::SetBackend(Backend::kXnnpack).ok());
  struct Restore {
    ~Restore() { (void)ddpm::kernels::SetBackend(Backend::kDdpm); }
  } restore;
  for (int threads : {1, 2}) {
    CheckConv({Params(5, 7, 3, 1, 1, 1, 1, 1), 7, 5, 6, false, threads});
    CheckConv({Params(16, 32, 3, 1, 1, 1, 1, 1), 2, 8, 8, true, threads});  // accumulate via scratch
    CheckConv({Params(6, 10, 3, 2, 0, 0, 1, 1), 2, 7, 7, false, threads});  // asymmetric downsample
    CheckConv({Params(13, 21, 1, 1, 0, 0, 0, 0), 7, 1, 1, true, threads});  // Linear
  }
}

TEST_CASE("ParseBackend names the bad value and the valid ones", "[kernels][conv2d]") {
  CHECK(ddpm::kernels::ParseBackend("ddpm").ok());
  const auto bad = ddpm::kernels::ParseBackend("cudnn");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("'cudnn' must be one of ddpm") != std::string::npos);
}
