#include "kernels/conv2d/conv2d.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/conv2d/backend.h"
#include "kernels/f32_gemm/gemm.h"
#if defined(DDPM_HAVE_XNNPACK)
#include "kernels/native_only/xnnpack_conv2d.h"
#endif

namespace ddpm::kernels {
namespace {

// Output pixels per indirection block (per thread at a time): a multiple of every MR (8, 6, 4).
constexpr size_t kRowsPerBlock = 240;

// Scratch floats for the zero row that padding taps point at (whole 64-byte lines).
size_t ZeroFloats(size_t cin) { return (cin + 15) / 16 * 16; }

// Scratch floats that hold `count` pointers, plus slack to align them.
size_t PointerFloats(size_t count) {
  return (count * sizeof(const float*) + alignof(const float*)) / sizeof(float) + 1;
}

const float** AlignedPointers(float* p) {
  const uintptr_t a = alignof(const float*);
  return reinterpret_cast<const float**>((reinterpret_cast<uintptr_t>(p) + a - 1) & ~(a - 1));
}

// The implicit GEMM's A rows for output pixels [r0, r1) (pixel r = (b, oy, ox)): per kernel tap
// (ky, kx) a pointer to the cin input floats under it, or to `zeros` where the tap is in the padding.
void BuildIndirection(const Conv2dParams& p, const float* x, int h, int width, int oh, int ow, size_t r0,
                      size_t r1, const float* zeros, const float** ind) {
  for (size_t r = r0; r < r1; ++r) {
    const size_t ox = r % ow, oy = (r / ow) % oh, b = r / (size_t(ow) * oh);
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = int(oy) * p.stride - p.pad_top + ky;
      for (int kx = 0; kx < p.kw; ++kx) {
        const int ix = int(ox) * p.stride - p.pad_left + kx;
        const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < width;
        *ind++ = inside ? x + ((b * h + iy) * width + ix) * p.cin : zeros;
      }
    }
  }
}

}  // namespace

int Conv2dOutDim(int in, int k, int stride, int pad_before, int pad_after) {
  return (in + pad_before + pad_after - k) / stride + 1;
}

bool IsPointwise(const Conv2dParams& p) {
  return p.kh == 1 && p.kw == 1 && p.stride == 1 && p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 &&
         p.pad_right == 0;
}

bool PackedConv2d::is_pointwise() const { return IsPointwise(p_); }

// Packs B^T[co][(ky*kw + kx)*cin + ci] (the im2col order, NHWC channels innermost) straight into the
// GEMM's NR-wide panels, with weight_at(co, ci, ky, kx) giving each element.
template <typename WeightAt>
bool PackedConv2d::PackFrom(const Conv2dParams& p, const float* bias, WeightAt weight_at) {
  DDPM_KERNEL_ASSERT(p.cin > 0 && p.cout > 0 && p.kh > 0 && p.kw > 0 && p.stride > 0);
  DDPM_KERNEL_ASSERT(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0);
  p_ = p;
  const size_t k = this->k(), n = p.cout, nr = GemmPanelWidth();
  const int64_t floats = int64_t(PackedGemmBFloats(n, k));
  if (packed_.size() != size_t(floats)) {
    packed_ = Tensor();
    packed_ = Tensor({floats});
  }
  if (bias_.size() != n) {
    bias_ = Tensor();
    bias_ = Tensor({int64_t(n)});
  }
  if (!packed_.ok() || !bias_.ok()) return false;
  for (size_t j0 = 0; j0 < n; j0 += nr) {
    float* panel = packed_.data() + j0 * k;  // k rows of nr floats
    for (int ky = 0; ky < p.kh; ++ky)
      for (int kx = 0; kx < p.kw; ++kx)
        for (int ci = 0; ci < p.cin; ++ci) {
          float* dst = panel + ((size_t(ky) * p.kw + kx) * p.cin + ci) * nr;
          for (size_t j = 0; j < nr; ++j) dst[j] = j0 + j < n ? weight_at(j0 + j, size_t(ci), ky, kx) : 0.0f;
        }
  }
  for (size_t co = 0; co < n; ++co) bias_[co] = bias ? bias[co] : 0.0f;
  return true;
}

bool PackedConv2d::Repack(const Conv2dParams& p, const float* weight_oihw, const float* bias) {
  DDPM_KERNEL_ASSERT(weight_oihw != nullptr);
  return PackFrom(p, bias, [&](size_t co, size_t ci, int ky, int kx) {
    return weight_oihw[((co * p.cin + ci) * p.kh + ky) * p.kw + kx];
  });
}

bool PackedConv2d::RepackInputGradient(const Conv2dParams& p, const float* weight_oihw) {
  DDPM_KERNEL_ASSERT(weight_oihw != nullptr && p.stride == 1);
  DDPM_KERNEL_ASSERT(p.pad_top < p.kh && p.pad_bottom < p.kh && p.pad_left < p.kw && p.pad_right < p.kw);
  Conv2dParams t = p;
  t.cin = p.cout;
  t.cout = p.cin;
  t.pad_top = p.kh - 1 - p.pad_top;
  t.pad_bottom = p.kh - 1 - p.pad_bottom;
  t.pad_left = p.kw - 1 - p.pad_left;
  t.pad_right = p.kw - 1 - p.pad_right;
  // Output channel ci of the gradient conv reads input channel co through the flipped kernel.
  return PackFrom(t, nullptr, [&](size_t ci, size_t co, int ky, int kx) {
    return weight_oihw[((co * p.cin + ci) * p.kh + (p.kh - 1 - ky)) * p.kw + (p.kw - 1 - kx)];
  });
}

PackedConv2d PackedConv2d::Pack(const Conv2dParams& p, const float* weight_oihw, const float* bias) {
  PackedConv2d w;
  DDPM_KERNEL_ASSERT(w.Repack(p, weight_oihw, bias));
#if defined(DDPM_HAVE_XNNPACK)
  if (GetBackend() == Backend::kXnnpack) w.xnn_ = CreateXnnConv2d(p, weight_oihw, w.bias_.data());
#endif
  return w;
}

size_t Conv2dScratchFloats(const Conv2dParams& p, int batch, int h, int width, int threads) {
  const size_t rows = size_t(batch) * Conv2dOutDim(h, p.kh, p.stride, p.pad_top, p.pad_bottom) *
                      Conv2dOutDim(width, p.kw, p.stride, p.pad_left, p.pad_right);
  const size_t block = std::min(rows, kRowsPerBlock), taps = size_t(p.kh) * p.kw;
  return IsPointwise(p) ? 0 : ZeroFloats(p.cin) + PointerFloats(size_t(std::max(threads, 1)) * block * taps);
}

size_t Conv2dScratchFloats(const PackedConv2d& w, int batch, int h, int width, int threads) {
  const Conv2dParams& p = w.params();
  const size_t ours = Conv2dScratchFloats(p, batch, h, width, threads);
  // XNNPACK only writes y = conv + bias: accumulating goes through a whole output in scratch.
  if (!w.xnn()) return ours;
  const size_t rows = size_t(batch) * Conv2dOutDim(h, p.kh, p.stride, p.pad_top, p.pad_bottom) *
                      Conv2dOutDim(width, p.kw, p.stride, p.pad_left, p.pad_right);
  return std::max(ours, rows * p.cout);
}

void Conv2d(const PackedConv2d& w, const float* x, int batch, int h, int width, float* y,
            bool accumulate, float* scratch, ThreadPool* pool) {
  const Conv2dParams& p = w.params();
  DDPM_KERNEL_ASSERT(p.cout > 0 && w.packed() != nullptr);
  DDPM_KERNEL_ASSERT(batch >= 0 && h > 0 && width > 0 && x != nullptr && y != nullptr);
  const int oh = Conv2dOutDim(h, p.kh, p.stride, p.pad_top, p.pad_bottom);
  const int ow = Conv2dOutDim(width, p.kw, p.stride, p.pad_left, p.pad_right);
  DDPM_KERNEL_ASSERT(oh > 0 && ow > 0);
  const size_t m = size_t(batch) * oh * ow, n = p.cout, k = w.k();
  if (m == 0) return;
#if defined(DDPM_HAVE_XNNPACK)
  if (w.xnn() && GetBackend() == Backend::kXnnpack) {
    const int threads = pool ? pool->num_threads() : 1;
    float* out = accumulate ? scratch : y;
    DDPM_KERNEL_ASSERT(out != nullptr);
    if (RunXnnConv2d(*w.xnn(), x, batch, h, width, out, threads)) {
      if (accumulate) {
        for (size_t i = 0; i < m * n; ++i) y[i] += out[i];
      }
      return;
    }  // else: XNNPACK failed; ours below still gives the answer.
  }
#endif
  if (w.is_pointwise()) {
    GemmPacked(m, n, k, x, k, w.packed(), w.bias(), y, n, accumulate, pool);
    return;
  }
  DDPM_KERNEL_ASSERT(scratch != nullptr);
  const size_t taps = size_t(p.kh) * p.kw, cin = p.cin;
  const int threads = pool ? pool->num_threads() : 1;
  // Blocks of at most kRowsPerBlock rows, as many per thread (a fixed 240 gave 16x16 at batch 1 one
  // block of 240 rows and one of 16), in whole tiles of the microkernel (240 is a multiple of every MR).
  size_t blocks = (m + kRowsPerBlock - 1) / kRowsPerBlock;
  if (threads > 1) blocks = (std::max(blocks, size_t(threads)) + threads - 1) / threads * threads;
  const size_t mr = GemmTileRows();
  const size_t block = std::min(kRowsPerBlock, ((m + blocks - 1) / blocks + mr - 1) / mr * mr);
  blocks = (m + block - 1) / block;
  float* zeros = scratch;
  std::fill(zeros, zeros + cin, 0.0f);
  const float** ind = AlignedPointers(scratch + ZeroFloats(cin));
  if (m < size_t(threads) * mr) {
    // Too few pixels to give each thread a tile of rows: index all rows (they fit in the scratch, which
    // holds `threads` blocks) and let GemmIndirect split the output channels.
    BuildIndirection(p, x, h, width, oh, ow, 0, m, zeros, ind);
    GemmIndirect(m, n, taps, cin, ind, w.packed(), w.bias(), y, n, accumulate, pool);
    return;
  }
  auto run = [&](size_t b0, size_t b1, int t) {
    const float** rows = ind + size_t(t) * block * taps;
    for (size_t blk = b0; blk < b1; ++blk) {
      const size_t r0 = blk * block, r1 = std::min(m, r0 + block);
      BuildIndirection(p, x, h, width, oh, ow, r0, r1, zeros, rows);
      GemmIndirect(r1 - r0, n, taps, cin, rows, w.packed(), w.bias(), y + r0 * n, n, accumulate, nullptr);
    }
  };
  if (threads <= 1) {
    run(0, blocks, 0);
  } else {
    pool->ParallelFor(blocks, run);
  }
}

}  // namespace ddpm::kernels
