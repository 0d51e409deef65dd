// Backward passes of the training layers (src/nn/train/) on tiny shapes, against scalar double twins
// written here from the PyTorch definitions: the conv backward against direct double loops, and the
// GroupNorm / attention backwards against central differences of a double forward (ε = 1e-6, so the
// differences are accurate to ~1e-8 and the float backward is what is measured). Fixed seeds.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/upsample/upsample.h"
#include "nn/train/attention_train.h"
#include "nn/train/conv2d_train.h"
#include "nn/train/elementwise_train.h"
#include "nn/train/group_norm_train.h"

using namespace ddpm;
using namespace ddpm::nn::train;

namespace {

std::vector<float> Random(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// max|a-b| / max|b|
double RelErr(const std::vector<float>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  return diff / scale;
}

// Gradient of L(p) = Σ r·f(p) with respect to p by central differences of a double function.
std::vector<double> NumericGrad(std::vector<double> p, const std::function<double(const std::vector<double>&)>& loss) {
  const double eps = 1e-6;
  std::vector<double> g(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    const double keep = p[i];
    p[i] = keep + eps;
    const double up = loss(p);
    p[i] = keep - eps;
    const double down = loss(p);
    p[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// ---- Conv2d: direct double convolution backward (the definition) ----

void ConvBackwardReference(const kernels::Conv2dParams& p, const ConvGeom& g, const std::vector<float>& x,
                           const std::vector<float>& w, const std::vector<float>& dy, std::vector<double>* dx,
                           std::vector<double>* dw, std::vector<double>* db) {
  dx->assign(x.size(), 0.0);
  dw->assign(w.size(), 0.0);
  db->assign(p.cout, 0.0);
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int co = 0; co < p.cout; ++co) {
          const double d = dy[((size_t(b) * g.oh + oy) * g.ow + ox) * p.cout + co];
          (*db)[co] += d;
          for (int ky = 0; ky < p.kh; ++ky)
            for (int kx = 0; kx < p.kw; ++kx) {
              const int iy = oy * p.stride - p.pad_top + ky, ix = ox * p.stride - p.pad_left + kx;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (int ci = 0; ci < p.cin; ++ci) {
                const size_t xi = ((size_t(b) * g.h + iy) * g.w + ix) * p.cin + ci;
                const size_t wi = ((size_t(co) * p.cin + ci) * p.kh + ky) * p.kw + kx;
                (*dx)[xi] += d * w[wi];
                (*dw)[wi] += d * x[xi];
              }
            }
        }
}

void CheckConv(kernels::Conv2dParams p, int batch, int h, int w, int threads) {
  std::mt19937 rng(42 + p.stride + p.pad_top + p.cin);
  const ConvGeom g = MakeConvGeom(p, batch, h, w);
  const auto x = Random(g.in_floats(), rng), wt = Random(size_t(p.cout) * p.cin * p.kh * p.kw, rng),
             dy = Random(g.out_floats(), rng);
  // The gradients accumulate: start from ones and subtract them afterwards.
  std::vector<float> dx(x.size(), 1.0f), dw(wt.size(), 1.0f), db(p.cout, 1.0f);
  ThreadPool pool(threads);
  std::vector<float> scratch(Conv2dBackwardScratchFloats(g, threads) + 16);
  float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t(63));
  kernels::PackedConv2d dx_weights;
  if (p.stride == 1) REQUIRE(dx_weights.RepackInputGradient(p, wt.data()));
  Conv2dBackward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), wt.data(), g, &dx_weights, aligned, &pool);
  for (auto* v : {&dx, &dw, &db})
    for (float& e : *v) e -= 1.0f;
  std::vector<double> rdx, rdw, rdb;
  ConvBackwardReference(p, g, x, wt, dy, &rdx, &rdw, &rdb);
  INFO("conv k" << p.kh << " s" << p.stride << " pad " << p.pad_top << p.pad_left << p.pad_bottom << p.pad_right
                << " cin " << p.cin << " cout " << p.cout << " " << batch << "x" << h << "x" << w << " threads "
                << threads);
  // float GEMMs over K <= 1152 terms against double loops: 1e-5 of the largest value.
  CHECK(RelErr(dx, rdx) < 1e-5);
  CHECK(RelErr(dw, rdw) < 1e-5);
  CHECK(RelErr(db, rdb) < 1e-5);
}

kernels::Conv2dParams Conv(int cin, int cout, int k, int stride, int pt, int pl, int pb, int pr) {
  kernels::Conv2dParams p;
  p.cin = cin;
  p.cout = cout;
  p.kh = p.kw = k;
  p.stride = stride;
  p.pad_top = pt;
  p.pad_left = pl;
  p.pad_bottom = pb;
  p.pad_right = pr;
  return p;
}

// ---- GroupNorm (+ scale/shift, + SiLU): double forward twin ----

std::vector<double> GroupNormTwin(const std::vector<double>& x, const std::vector<double>& gamma,
                                  const std::vector<double>& beta, const std::vector<double>* mod,
                                  const GroupNormSpec& s) {
  const int c = s.channels, cg = c / s.groups;
  std::vector<double> y(x.size());
  for (int b = 0; b < s.batch; ++b)
    for (int g = 0; g < s.groups; ++g) {
      double mean = 0, var = 0;
      const double n = double(s.hw) * cg;
      for (int p = 0; p < s.hw; ++p)
        for (int j = 0; j < cg; ++j) mean += x[(size_t(b) * s.hw + p) * c + g * cg + j];
      mean /= n;
      for (int p = 0; p < s.hw; ++p)
        for (int j = 0; j < cg; ++j) {
          const double d = x[(size_t(b) * s.hw + p) * c + g * cg + j] - mean;
          var += d * d;
        }
      const double rstd = 1.0 / std::sqrt(var / n + s.eps);
      for (int p = 0; p < s.hw; ++p)
        for (int j = 0; j < cg; ++j) {
          const int ch = g * cg + j;
          const size_t i = (size_t(b) * s.hw + p) * c + ch;
          double u = (x[i] - mean) * rstd * gamma[ch] + beta[ch];
          if (mod) u = u * (1 + (*mod)[b * s.mod_stride + ch]) + (*mod)[b * s.mod_stride + c + ch];
          y[i] = s.silu ? u / (1 + std::exp(-u)) : u;
        }
    }
  return y;
}

// batch x hw pixels x channels in `groups` groups on `threads` threads; hw > 64 crosses the kernel's
// float-sum blocks, channels not a multiple of the vector width take its scalar tail.
void CheckGroupNorm(bool silu, bool scale_shift, int batch = 2, int hw = 6, int channels = 8, int groups = 2,
                    int threads = 1) {
  std::mt19937 rng(7 + silu + 2 * scale_shift + hw);
  GroupNormSpec s;
  s.batch = batch;
  s.hw = hw;
  s.channels = channels;
  s.groups = groups;
  s.eps = 1e-5f;
  s.silu = silu;
  const size_t n = s.size(), c = size_t(channels);
  const auto x = Random(n, rng, 2.0f), gamma = Random(c, rng), beta = Random(c, rng), r = Random(n, rng);
  std::vector<float> mod = Random(size_t(s.batch) * 2 * c, rng, 0.5f);
  if (scale_shift) {
    s.scale = mod.data();
    s.shift = mod.data() + c;
    s.mod_stride = 2 * c;
  }
  ThreadPool pool(threads);
  const size_t stats = size_t(batch) * groups;
  std::vector<float> y(n), mean(stats), rstd(stats), scratch(GroupNormScratchFloats(s, threads));
  GroupNormForward(y.data(), mean.data(), rstd.data(), x.data(), gamma.data(), beta.data(), s, scratch.data(), &pool);
  std::vector<float> dx(n), dg(c), dbeta(c), dmod(mod.size());
  GroupNormBackward(dx.data(), dg.data(), dbeta.data(), scale_shift ? dmod.data() : nullptr,
                    scale_shift ? dmod.data() + c : nullptr, r.data(), x.data(), mean.data(), rstd.data(),
                    gamma.data(), beta.data(), s, scratch.data(), &pool);
  // GroupNormApply rebuilds the forward's output from the saved statistics, bit for bit.
  std::vector<float> y2(n);
  GroupNormApply(y2.data(), x.data(), mean.data(), rstd.data(), gamma.data(), beta.data(), s, scratch.data(), &pool);
  CHECK(y2 == y);

  const auto xd = ToDouble(x), gd = ToDouble(gamma), bd = ToDouble(beta), md = ToDouble(mod), rd = ToDouble(r);
  auto loss = [&](const std::vector<double>& xx, const std::vector<double>& gg, const std::vector<double>& bb,
                  const std::vector<double>& mm) {
    const auto yy = GroupNormTwin(xx, gg, bb, scale_shift ? &mm : nullptr, s);
    double l = 0;
    for (size_t i = 0; i < n; ++i) l += rd[i] * yy[i];
    return l;
  };
  INFO("GroupNorm silu " << silu << " scale_shift " << scale_shift);
  CHECK(RelErr(y, GroupNormTwin(xd, gd, bd, scale_shift ? &md : nullptr, s)) < 1e-6);  // same function
  CHECK(RelErr(dx, NumericGrad(xd, [&](auto& p) { return loss(p, gd, bd, md); })) < 1e-5);
  CHECK(RelErr(dg, NumericGrad(gd, [&](auto& p) { return loss(xd, p, bd, md); })) < 1e-5);
  CHECK(RelErr(dbeta, NumericGrad(bd, [&](auto& p) { return loss(xd, gd, p, md); })) < 1e-5);
  if (scale_shift) CHECK(RelErr(dmod, NumericGrad(md, [&](auto& p) { return loss(xd, gd, bd, p); })) < 1e-5);
}

// ---- Attention core: double forward twin ----

std::vector<double> AttentionTwin(const std::vector<double>& qkv, int batch, int t, int c, int d, double scale) {
  std::vector<double> o(size_t(batch) * t * c, 0.0);
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < c / d; ++h)
      for (int i = 0; i < t; ++i) {
        std::vector<double> s(t);
        double mx = -1e300, sum = 0;
        for (int j = 0; j < t; ++j) {
          double dot = 0;
          for (int k = 0; k < d; ++k)
            dot += qkv[(size_t(b) * t + i) * 3 * c + h * d + k] * qkv[(size_t(b) * t + j) * 3 * c + c + h * d + k];
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int j = 0; j < t; ++j)
          for (int k = 0; k < d; ++k)
            o[(size_t(b) * t + i) * c + h * d + k] += s[j] / sum * qkv[(size_t(b) * t + j) * 3 * c + 2 * c + h * d + k];
      }
  return o;
}

}  // namespace

TEST_CASE("Conv2dBackward equals the direct double convolution backward", "[nn_train][conv]") {
  for (int threads : {1, 2}) {
    CheckConv(Conv(3, 5, 3, 1, 1, 1, 1, 1), 2, 5, 6, threads);    // conv_in / resnet convs
    CheckConv(Conv(4, 4, 3, 2, 1, 1, 1, 1), 2, 6, 6, threads);    // downsample, padding 1
    CheckConv(Conv(4, 4, 3, 2, 0, 0, 1, 1), 2, 6, 8, threads);    // cifar downsample: F.pad(0,1,0,1)
    CheckConv(Conv(6, 3, 1, 1, 0, 0, 0, 0), 2, 4, 5, threads);    // conv_shortcut (pointwise)
  }
  // Large K: blocks of output rows inside one image (the col2im gather across block edges), several
  // dW blocks per thread, and more channels than one GEMM panel on the input-gradient convolution.
  CheckConv(Conv(128, 4, 3, 1, 1, 1, 1, 1), 1, 32, 32, 2);
  CheckConv(Conv(128, 4, 3, 2, 0, 0, 1, 1), 2, 64, 32, 1);
  CheckConv(Conv(40, 72, 3, 1, 1, 1, 1, 1), 3, 20, 24, 2);
  CheckConv(Conv(72, 40, 1, 1, 0, 0, 0, 0), 3, 20, 24, 2);
}

TEST_CASE("GroupNormBackward (+SiLU, +scale_shift) equals finite differences of a double twin", "[nn_train][gn]") {
  for (bool silu : {false, true})
    for (bool ss : {false, true}) {
      CheckGroupNorm(silu, ss);
      CheckGroupNorm(silu, ss, /*batch=*/3, /*hw=*/70, /*channels=*/20, /*groups=*/5, /*threads=*/2);
    }
}

TEST_CASE("AttentionBackward equals finite differences of a double twin", "[nn_train][attention]") {
  std::mt19937 rng(3);
  const int batch = 2, t = 5, c = 4, d = 2;
  const float scale = float(1.0 / std::sqrt(double(d)));
  const auto qkv = Random(size_t(batch) * t * 3 * c, rng), r = Random(size_t(batch) * t * c, rng);
  std::vector<float> o(r.size()), scratch(AttentionForwardScratchFloats(t, d, 1) + AttentionBackwardScratchFloats(t, d, 1));
  AttentionForward(o.data(), qkv.data(), batch, t, c, d, scale, scratch.data(), nullptr);
  std::vector<float> dqkv(qkv.size());
  AttentionBackward(dqkv.data(), r.data(), qkv.data(), batch, t, c, d, scale, scratch.data(), nullptr);
  const auto qd = ToDouble(qkv), rd = ToDouble(r);
  CHECK(RelErr(o, AttentionTwin(qd, batch, t, c, d, scale)) < 1e-6);
  const auto num = NumericGrad(qd, [&](const std::vector<double>& p) {
    const auto oo = AttentionTwin(p, batch, t, c, d, scale);
    double l = 0;
    for (size_t i = 0; i < oo.size(); ++i) l += rd[i] * oo[i];
    return l;
  });
  CHECK(RelErr(dqkv, num) < 1e-5);
}

TEST_CASE("Upsample, concat, SiLU, divide and embedding backwards are the adjoints of their forwards",
          "[nn_train][elementwise]") {
  std::mt19937 rng(5);
  // <up(x), y> == <x, up_backward(y)>
  const int b = 2, h = 3, w = 4, c = 3;
  const auto x = Random(size_t(b) * h * w * c, rng), y = Random(size_t(b) * 4 * h * w * c, rng);
  std::vector<float> up(y.size()), dx(x.size());
  kernels::UpsampleNearest2x(x.data(), b, h, w, c, up.data(), nullptr);
  UpsampleNearest2xBackward(dx.data(), y.data(), b, h, w, c, nullptr);
  double l = 0, r = 0;
  for (size_t i = 0; i < y.size(); ++i) l += double(up[i]) * y[i];
  for (size_t i = 0; i < x.size(); ++i) r += double(x[i]) * dx[i];
  CHECK(l == Approx(r).epsilon(1e-6));

  // Concat: the halves come back, added.
  std::vector<float> dout = {1, 2, 3, 4, 5, 6}, da(2, 10.0f), dbb(4, 0.0f);
  ConcatChannelsBackward(da.data(), dbb.data(), dout.data(), 1, 2, 2, nullptr);
  CHECK(da == std::vector<float>{11, 14});
  CHECK(dbb == std::vector<float>{2, 3, 5, 6});

  // SiLU' by differences.
  const std::vector<float> xs = {-3.0f, -0.5f, 0.0f, 0.7f, 4.0f}, ones(5, 1.0f);
  std::vector<float> ds(5, 0.0f);
  SiLUBackward(ds.data(), ones.data(), xs.data(), xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    auto silu = [](double v) { return v / (1 + std::exp(-v)); };
    CHECK(ds[i] == Approx((silu(xs[i] + 1e-6) - silu(xs[i] - 1e-6)) / 2e-6).epsilon(1e-5));
  }

  // Embedding: scatter-add, repeated labels accumulate.
  std::vector<float> table(3 * 2, 0.0f);
  EmbeddingBackward(table.data(), std::vector<float>{1, 2, 3, 4, 5, 6}.data(), {2, 0, 2}, 2);
  CHECK(table == std::vector<float>{3, 4, 0, 0, 6, 8});

  std::vector<float> dd(2, 1.0f);
  DivideBackward(dd.data(), std::vector<float>{2, 4}.data(), 2, 2.0f);
  CHECK(dd == std::vector<float>{2, 3});
}
