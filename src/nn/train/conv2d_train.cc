#include "nn/train/conv2d_train.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/f32_gemm/gemm.h"

namespace ddpm::nn::train {
namespace {

constexpr size_t kColFloats = size_t{1} << 20;  // im2col block budget (4 MB): whole output rows

size_t Pad16(size_t n) { return (n + 15) / 16 * 16; }

// Output pixels per backward block: whole images when they are small, else whole output rows of one
// image, so col2im can gather per input row without crossing a block's edge.
size_t BlockRows(const ConvGeom& g) {
  const size_t per_image = size_t(g.oh) * g.ow;
  const size_t budget = std::max<size_t>(kColFloats / std::max<size_t>(g.k(), 1), g.ow);
  if (per_image <= budget) return per_image * std::min<size_t>(g.batch, budget / per_image);
  return (budget / g.ow) * g.ow;
}

template <typename F>
void Parallel(ThreadPool* pool, size_t n, F&& f, size_t grain = 1) {
  if (pool && pool->num_threads() > 1) pool->ParallelFor(n, f, grain);
  else f(0, n, 0);
}

// im2col of output pixels [r0, r1) (r = (b·oh + oy)·ow + ox; zeros outside the image), written straight
// into GemmPacked's B layout (NR-wide panels of the K columns, k = the block's rows): the dW GEMM then
// needs no second copy of the block.
void Im2colPacked(const ConvGeom& g, const float* x, size_t r0, size_t r1, float* packed, ThreadPool* pool) {
  const kernels::Conv2dParams& p = g.p;
  const size_t cin = p.cin, k = g.k(), nr = kernels::GemmPanelWidth(), rn = r1 - r0;
  Parallel(pool, rn, [&](size_t i0, size_t i1, int) {
    std::vector<float> row(k);
    for (size_t i = i0; i < i1; ++i) {
      const size_t r = r0 + i;
      const size_t ox = r % g.ow, oy = (r / g.ow) % g.oh, b = r / (size_t(g.ow) * g.oh);
      float* dst = row.data();
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = int(oy) * p.stride - p.pad_top + ky;
        for (int kx = 0; kx < p.kw; ++kx, dst += cin) {
          const int ix = int(ox) * p.stride - p.pad_left + kx;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) std::memset(dst, 0, cin * sizeof(float));
          else std::memcpy(dst, x + ((b * g.h + iy) * g.w + ix) * cin, cin * sizeof(float));
        }
      }
      for (size_t j0 = 0; j0 < k; j0 += nr) {  // panel j0 holds rows of nr floats, rn rows
        const size_t nc = std::min(nr, k - j0);
        float* out = packed + j0 * rn + i * nr;
        std::memcpy(out, row.data() + j0, nc * sizeof(float));
        std::fill(out + nc, out + nr, 0.0f);
      }
    }
  }, 16);
}

// dx += col2im(dcol) for output pixels [r0, r1), as a gather: each input row (b, iy) collects from the
// output pixels that read it, so threads write disjoint rows of dx.
void Col2im(const ConvGeom& g, const float* dcol, size_t r0, size_t r1, float* dx, ThreadPool* pool) {
  const kernels::Conv2dParams& p = g.p;
  const size_t cin = p.cin, k = g.k(), per_image = size_t(g.oh) * g.ow;
  const size_t b0 = r0 / per_image, b1 = (r1 - 1) / per_image + 1;
  // Work items: (image, input row) pairs of the images the block touches.
  Parallel(pool, (b1 - b0) * g.h, [&](size_t i0, size_t i1, int) {
    for (size_t item = i0; item < i1; ++item) {
      const size_t b = b0 + item / g.h;
      const int iy = int(item % g.h);
      // Output rows of this image inside the block.
      const size_t lo = std::max(r0, b * per_image), hi = std::min(r1, (b + 1) * per_image);
      if (lo >= hi) continue;
      const int oy_lo = int((lo - b * per_image) / g.ow), oy_hi = int((hi - 1 - b * per_image) / g.ow) + 1;
      for (int ky = 0; ky < p.kh; ++ky) {
        const int t = iy + p.pad_top - ky;
        if (t < 0 || t % p.stride) continue;
        const int oy = t / p.stride;
        if (oy < oy_lo || oy >= oy_hi) continue;
        for (int ix = 0; ix < g.w; ++ix) {
          float* dst = dx + ((b * g.h + iy) * g.w + ix) * cin;
          for (int kx = 0; kx < p.kw; ++kx) {
            const int u = ix + p.pad_left - kx;
            if (u < 0 || u % p.stride) continue;
            const int ox = u / p.stride;
            if (ox >= g.ow) continue;
            const size_t r = (b * g.oh + oy) * g.ow + ox;
            const float* src = dcol + (r - r0) * k + (size_t(ky) * p.kw + kx) * cin;
            for (size_t c = 0; c < cin; ++c) dst[c] += src[c];
          }
        }
      }
    }
  });
}

}  // namespace

bool ConvGeom::pointwise() const {
  return p.kh == 1 && p.kw == 1 && p.stride == 1 && p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 &&
         p.pad_right == 0;
}

ConvGeom MakeConvGeom(const kernels::Conv2dParams& p, int batch, int h, int w) {
  ConvGeom g;
  g.p = p;
  g.batch = batch;
  g.h = h;
  g.w = w;
  g.oh = kernels::Conv2dOutDim(h, p.kh, p.stride, p.pad_top, p.pad_bottom);
  g.ow = kernels::Conv2dOutDim(w, p.kw, p.stride, p.pad_left, p.pad_right);
  return g;
}

size_t Conv2dForwardScratchFloats(const kernels::PackedConv2d& w, const ConvGeom& g, int threads) {
  return kernels::Conv2dScratchFloats(w, g.batch, g.h, g.w, threads);
}

size_t Conv2dBackwardScratchFloats(const ConvGeom& g, int /*threads*/) {
  const size_t k = g.k(), co = g.p.cout, rows = BlockRows(g);
  return Pad16(co * k) * 2 + Pad16(kernels::PackedGemmBFloats(k, co)) + Pad16(kernels::PackedGemmBFloats(k, rows)) +
         Pad16(rows * k) + Pad16(co * rows);
}

void Conv2dForward(float* y, const float* x, const kernels::PackedConv2d& w, const ConvGeom& g, bool accumulate,
                   float* scratch, ThreadPool* pool) {
  kernels::Conv2d(w, x, g.batch, g.h, g.w, y, accumulate, scratch, pool);
}

void Conv2dBackward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                    const ConvGeom& g, float* scratch, ThreadPool* pool) {
  const kernels::Conv2dParams& p = g.p;
  const size_t k = g.k(), co = p.cout, cin = p.cin, rows = g.out_rows(), block = BlockRows(g);
  float* w_t = scratch;                                          // [co, K], the weight in im2col order
  float* dw_t = w_t + Pad16(co * k);                             // [co, K]
  float* w_packed = dw_t + Pad16(co * k);                        // W as the dcol GEMM's B
  float* col = w_packed + Pad16(kernels::PackedGemmBFloats(k, co));  // the block's im2col, packed
  float* dcol = col + Pad16(kernels::PackedGemmBFloats(k, block));   // [block, K]
  float* dy_t = dcol + Pad16(block * k);                         // [co, block]

  for (size_t o = 0; o < co; ++o)
    for (size_t ci = 0; ci < cin; ++ci)
      for (int ky = 0; ky < p.kh; ++ky)
        for (int kx = 0; kx < p.kw; ++kx)
          w_t[o * k + (size_t(ky) * p.kw + kx) * cin + ci] = w[((o * cin + ci) * p.kh + ky) * p.kw + kx];
  std::fill(dw_t, dw_t + co * k, 0.0f);
  if (dx) kernels::PackGemmB(k, co, w_t, k, /*b_transposed=*/false, w_packed);

  const bool pw = g.pointwise();
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    const size_t rn = std::min(block, rows - r0);
    const float* dy_blk = dy + r0 * co;
    if (pw) kernels::PackGemmB(k, rn, x + r0 * cin, cin, false, col);  // the input rows are the columns
    else Im2colPacked(g, x, r0, r0 + rn, col, pool);
    // dW_ohwi += dYᵀ · col: the GEMM reads A row-major, so transpose this block of dY first.
    Parallel(pool, co, [&](size_t o0, size_t o1, int) {
      for (size_t r = 0; r < rn; ++r)
        for (size_t o = o0; o < o1; ++o) dy_t[o * rn + r] = dy_blk[r * co + o];
    }, 8);
    kernels::GemmPacked(co, k, rn, dy_t, rn, col, nullptr, dw_t, k, /*accumulate=*/true, pool);
    if (!dx) continue;
    if (pw) {
      kernels::GemmPacked(rn, k, co, dy_blk, co, w_packed, nullptr, dx + r0 * cin, cin, /*accumulate=*/true, pool);
    } else {
      kernels::GemmPacked(rn, k, co, dy_blk, co, w_packed, nullptr, dcol, k, /*accumulate=*/false, pool);
      Col2im(g, dcol, r0, r0 + rn, dx, pool);
    }
  }
  for (size_t o = 0; o < co; ++o)
    for (size_t ci = 0; ci < cin; ++ci)
      for (int ky = 0; ky < p.kh; ++ky)
        for (int kx = 0; kx < p.kw; ++kx)
          dw[((o * cin + ci) * p.kh + ky) * p.kw + kx] += dw_t[o * k + (size_t(ky) * p.kw + kx) * cin + ci];
  if (db) {
    std::vector<double> sum(co, 0.0);  // thousands of rows: sum in double
    for (size_t r = 0; r < rows; ++r)
      for (size_t o = 0; o < co; ++o) sum[o] += dy[r * co + o];
    for (size_t o = 0; o < co; ++o) db[o] += float(sum[o]);
  }
}

}  // namespace ddpm::nn::train
