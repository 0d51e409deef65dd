#include "nn/train/conv2d_train.h"

#include <algorithm>
#include <cstring>

#include "kernels/f32_gemm/gemm.h"
#include "nn/train/split_work.h"

namespace ddpm::nn::train {
namespace {

int Threads(ThreadPool* pool) { return pool ? pool->num_threads() : 1; }

// ---- dW, db: per-thread partial sums over blocks of output pixels ----

// Output pixels per dW block: the GEMM's inner dimension, so at least one k-block of the microkernel
// loop (256), and an im2col block of about 512 KB, which stays in L2 while the co/MR row tiles of
// dYᵀ pass over it. Fewer blocks than threads would idle a thread: then rows / threads.
constexpr size_t kWeightBlockFloats = size_t{1} << 17;
size_t WeightBlockRows(const ConvGeom& g, int threads) {
  const size_t rows = g.out_rows();
  size_t block = std::max<size_t>(256, kWeightBlockFloats / std::max<size_t>(g.k(), 1));
  if ((rows + block - 1) / block < size_t(threads)) block = (rows + threads - 1) / threads;
  return std::max<size_t>(1, std::min(block, rows));
}

// Per-thread floats of the dW pass: dW partial [co, K], db partial [co] in double, the packed im2col
// block, the block's column sums of dY.
size_t WeightThreadFloats(const ConvGeom& g, size_t block) {
  const size_t k = g.k(), co = g.p.cout;
  return Pad16(co * k) + Pad16(2 * co) + Pad16(kernels::PackedGemmBFloats(k, block)) + Pad16(co);
}

// im2col of output pixels [r0, r1) (r = (b·oh + oy)·ow + ox; zeros outside the image), written straight
// into GemmPacked's B layout (NR-wide panels of the K columns, k = the block's rows), each tap's cin
// floats copied from the input to where its columns fall in the panels: the dW GEMM then needs no
// second copy of the block.
void Im2colPacked(const ConvGeom& g, const float* x, size_t r0, size_t r1, float* packed) {
  const kernels::Conv2dParams& p = g.p;
  const size_t cin = p.cin, k = g.k(), nr = kernels::GemmPanelWidth(), rn = r1 - r0;
  const size_t k_padded = (k + nr - 1) / nr * nr;
  for (size_t i = 0; i < rn; ++i) {
    const size_t r = r0 + i;
    const size_t ox = r % g.ow, oy = (r / g.ow) % g.oh, b = r / (size_t(g.ow) * g.oh);
    size_t col = 0;  // the im2col column of the tap's first channel
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = int(oy) * p.stride - p.pad_top + ky;
      for (int kx = 0; kx < p.kw; ++kx, col += cin) {
        const int ix = int(ox) * p.stride - p.pad_left + kx;
        const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        const float* src = inside ? x + ((b * g.h + iy) * g.w + ix) * cin : nullptr;
        for (size_t c = 0; c < cin;) {  // runs of channels that stay inside one panel
          const size_t j = col + c, panel = j / nr, off = j % nr, len = std::min(cin - c, nr - off);
          float* dst = packed + panel * nr * rn + i * nr + off;
          if (src) std::memcpy(dst, src + c, len * sizeof(float));
          else std::memset(dst, 0, len * sizeof(float));
          c += len;
        }
      }
    }
    if (k_padded > k) {  // the last panel's padding columns
      float* dst = packed + (k / nr) * nr * rn + i * nr + k % nr;
      std::memset(dst, 0, (k_padded - k) * sizeof(float));
    }
  }
}

// dw += dYᵀ·col and db += Σ dY, each thread over its own blocks of output pixels into its own partial
// sums, which are then added in thread order: the split depends only on the sizes and the thread count,
// so the result repeats bit for bit.
void WeightGradients(float* dw, float* db, const float* dy, const float* x, const ConvGeom& g, float* scratch,
                     ThreadPool* pool) {
  const kernels::Conv2dParams& p = g.p;
  const int threads = Threads(pool);
  const size_t k = g.k(), co = p.cout, cin = p.cin, rows = g.out_rows();
  const size_t block = WeightBlockRows(g, threads), blocks = (rows + block - 1) / block;
  const size_t per_thread = WeightThreadFloats(g, block);
  const bool pw = g.pointwise();
  Parallel(pool, size_t(threads), [&](size_t t0, size_t t1, int) {
    for (size_t t = t0; t < t1; ++t) {
      float* dw_part = scratch + t * per_thread;
      double* db_part = reinterpret_cast<double*>(dw_part + Pad16(co * k));
      float* col = dw_part + Pad16(co * k) + Pad16(2 * co);
      float* sums = col + Pad16(kernels::PackedGemmBFloats(k, block));
      std::fill(dw_part, dw_part + co * k, 0.0f);
      std::fill(db_part, db_part + co, 0.0);
      // Thread t takes blocks [t·blocks/T, (t+1)·blocks/T).
      for (size_t blk = t * blocks / threads; blk < (t + 1) * blocks / threads; ++blk) {
        const size_t r0 = blk * block, rn = std::min(block, rows - r0);
        const float* dy_blk = dy + r0 * co;
        if (pw) kernels::PackGemmB(k, rn, x + r0 * cin, cin, false, col);  // the input rows are the columns
        else Im2colPacked(g, x, r0, r0 + rn, col);
        // dW += dYᵀ·col straight from dY's rows; db += the block's column sums of dY (float within a
        // block, double across blocks).
        kernels::GemmPackedTransposedA(co, k, rn, dy_blk, co, col, dw_part, k, /*accumulate=*/true);
        std::fill(sums, sums + co, 0.0f);
        for (size_t r = 0; r < rn; ++r)
          for (size_t o = 0; o < co; ++o) sums[o] += dy_blk[r * co + o];
        for (size_t o = 0; o < co; ++o) db_part[o] += sums[o];
      }
    }
  });
  // Partials in thread order; dW from the im2col order (o, ky, kx, ci) to PyTorch's (o, ci, ky, kx).
  for (int t = 1; t < threads; ++t) {
    const float* part = scratch + size_t(t) * per_thread;
    const double* dbp = reinterpret_cast<const double*>(part + Pad16(co * k));
    double* db0 = reinterpret_cast<double*>(scratch + Pad16(co * k));
    for (size_t i = 0; i < co * k; ++i) scratch[i] += part[i];
    for (size_t o = 0; o < co; ++o) db0[o] += dbp[o];
  }
  for (size_t o = 0; o < co; ++o)
    for (size_t ci = 0; ci < cin; ++ci)
      for (int ky = 0; ky < p.kh; ++ky)
        for (int kx = 0; kx < p.kw; ++kx)
          dw[((o * cin + ci) * p.kh + ky) * p.kw + kx] += scratch[o * k + (size_t(ky) * p.kw + kx) * cin + ci];
  if (db) {
    const double* db0 = reinterpret_cast<const double*>(scratch + Pad16(co * k));
    for (size_t o = 0; o < co; ++o) db[o] += float(db0[o]);
  }
}

// ---- dx of a strided convolution: dcol = dY·W, then col2im ----

constexpr size_t kColFloats = size_t{1} << 20;  // dcol block budget (4 MB): whole output rows

// Output pixels per dcol block: whole images when they are small, else whole output rows of one
// image, so col2im can gather per input row without crossing a block's edge.
size_t StridedBlockRows(const ConvGeom& g) {
  const size_t per_image = size_t(g.oh) * g.ow;
  const size_t budget = std::max<size_t>(kColFloats / std::max<size_t>(g.k(), 1), g.ow);
  if (per_image <= budget) return per_image * std::min<size_t>(g.batch, budget / per_image);
  return (budget / g.ow) * g.ow;
}

size_t StridedInputFloats(const ConvGeom& g) {
  const size_t k = g.k(), co = g.p.cout;
  return Pad16(co * k) + Pad16(kernels::PackedGemmBFloats(k, co)) + Pad16(StridedBlockRows(g) * k);
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

void StridedInputGradient(float* dx, const float* dy, const float* w, const ConvGeom& g, float* scratch,
                          ThreadPool* pool) {
  const kernels::Conv2dParams& p = g.p;
  const size_t k = g.k(), co = p.cout, cin = p.cin, rows = g.out_rows(), block = StridedBlockRows(g);
  float* w_t = scratch;                                              // [co, K], the weight in im2col order
  float* w_packed = w_t + Pad16(co * k);                             // W as the dcol GEMM's B
  float* dcol = w_packed + Pad16(kernels::PackedGemmBFloats(k, co));  // [block, K]
  for (size_t o = 0; o < co; ++o)
    for (size_t ci = 0; ci < cin; ++ci)
      for (int ky = 0; ky < p.kh; ++ky)
        for (int kx = 0; kx < p.kw; ++kx)
          w_t[o * k + (size_t(ky) * p.kw + kx) * cin + ci] = w[((o * cin + ci) * p.kh + ky) * p.kw + kx];
  kernels::PackGemmB(k, co, w_t, k, /*b_transposed=*/false, w_packed);
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    const size_t rn = std::min(block, rows - r0);
    kernels::GemmPacked(rn, k, co, dy + r0 * co, co, w_packed, nullptr, dcol, k, /*accumulate=*/false, pool);
    Col2im(g, dcol, r0, r0 + rn, dx, pool);
  }
}

// The input-gradient convolution's shape: dY [B, oh, ow, cout] in, dX [B, h, w, cin] out.
ConvGeom InputGradientGeom(const ConvGeom& g) {
  kernels::Conv2dParams t = g.p;
  std::swap(t.cin, t.cout);
  t.pad_top = g.p.kh - 1 - g.p.pad_top;
  t.pad_bottom = g.p.kh - 1 - g.p.pad_bottom;
  t.pad_left = g.p.kw - 1 - g.p.pad_left;
  t.pad_right = g.p.kw - 1 - g.p.pad_right;
  return MakeConvGeom(t, g.batch, g.oh, g.ow);
}

}  // namespace

bool ConvGeom::pointwise() const { return kernels::IsPointwise(p); }

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

size_t Conv2dBackwardScratchFloats(const ConvGeom& g, int threads) {
  threads = std::max(threads, 1);
  const size_t weights = size_t(threads) * WeightThreadFloats(g, WeightBlockRows(g, threads));
  size_t input;
  if (g.p.stride == 1) {
    const ConvGeom t = InputGradientGeom(g);
    input = kernels::Conv2dScratchFloats(t.p, t.batch, t.h, t.w, threads);
  } else {
    input = StridedInputFloats(g);
  }
  return std::max(weights, input);
}

void Conv2dForward(float* y, const float* x, const kernels::PackedConv2d& w, const ConvGeom& g, bool accumulate,
                   float* scratch, ThreadPool* pool) {
  kernels::Conv2d(w, x, g.batch, g.h, g.w, y, accumulate, scratch, pool);
}

void Conv2dBackward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                    const ConvGeom& g, const kernels::PackedConv2d* dx_weights, float* scratch, ThreadPool* pool) {
  WeightGradients(dw, db, dy, x, g, scratch, pool);
  if (!dx) return;
  if (g.p.stride != 1) {
    StridedInputGradient(dx, dy, w, g, scratch, pool);
    return;
  }
  DDPM_KERNEL_ASSERT(dx_weights != nullptr && dx_weights->params().cin == g.p.cout);
  kernels::Conv2d(*dx_weights, dy, g.batch, g.oh, g.ow, dx, /*accumulate=*/true, scratch, pool);
}

}  // namespace ddpm::nn::train
