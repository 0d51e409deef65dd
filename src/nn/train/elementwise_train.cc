#include "nn/train/elementwise_train.h"

#include <cmath>
#include <algorithm>
#include <cstring>

#include "kernels/elementwise/elementwise.h"
#include "nn/train/split_work.h"

namespace ddpm::nn::train {

void SiLUBackward(float* dx, const float* dy, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + std::exp(-x[i]));
    dx[i] += dy[i] * (s * (1.0f + x[i] * (1.0f - s)));
  }
}

void AddPerSampleChannelsBackward(float* dv, size_t v_stride, const float* dy, int batch, int hw, int channels) {
  std::vector<double> sum(static_cast<size_t>(channels));
  for (int b = 0; b < batch; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0);
    const float* yb = dy + size_t(b) * hw * channels;
    for (int p = 0; p < hw; ++p)
      for (int c = 0; c < channels; ++c) sum[c] += yb[size_t(p) * channels + c];
    for (int c = 0; c < channels; ++c) dv[b * v_stride + c] += float(sum[c]);
  }
}

namespace {
// Chunks of at least 16K floats (64 KB): smaller work is not worth waking a thread for.
// `n` items of `floats_per_item` floats each.
template <typename F>
void Chunked(size_t n, ThreadPool* pool, F&& f, size_t floats_per_item = 1) {
  const size_t grain = std::max<size_t>(1, (size_t{1} << 14) / floats_per_item);
  if (pool && pool->num_threads() > 1 && n >= 2 * grain)
    pool->ParallelFor(n, [&](size_t b, size_t e, int) { f(b, e); }, grain);
  else
    f(size_t{0}, n);
}
}  // namespace

void ConcatChannelsBackward(float* da, float* db, const float* dout, int ca, int cb, size_t rows, ThreadPool* pool) {
  const size_t co = size_t(ca) + cb;
  Chunked(rows, pool, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* src = dout + r * co;
      if (da)
        for (int c = 0; c < ca; ++c) da[r * ca + c] += src[c];
      if (db)
        for (int c = 0; c < cb; ++c) db[r * cb + c] += src[ca + c];
    }
  }, co);
}

void ParallelConcatChannels(const float* a, int ca, const float* b, int cb, size_t rows, float* out,
                            ThreadPool* pool) {
  const size_t co = size_t(ca) + cb;
  Chunked(rows, pool, [&](size_t r0, size_t r1) {
    kernels::ConcatChannels(a + r0 * ca, ca, b + r0 * cb, cb, r1 - r0, out + r0 * co);
  }, co);
}

void ParallelCopy(float* dst, const float* src, size_t n, ThreadPool* pool) {
  Chunked(n, pool, [&](size_t b, size_t e) { std::memcpy(dst + b, src + b, (e - b) * sizeof(float)); });
}

void ParallelAdd(float* dst, const float* src, size_t n, ThreadPool* pool) {
  Chunked(n, pool, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) dst[i] += src[i];
  });
}

void ParallelZero(float* dst, size_t n, ThreadPool* pool) {
  Chunked(n, pool, [&](size_t b, size_t e) { std::fill(dst + b, dst + e, 0.0f); });
}

void UpsampleNearest2xBackward(float* dx, const float* dy, int batch, int h, int w, int c, ThreadPool* pool) {
  auto body = [&](size_t r0, size_t r1, int) {
    for (size_t r = r0; r < r1; ++r) {  // r = b·h + i, one input row
      const size_t b = r / h, i = r % h;
      for (int j = 0; j < w; ++j) {
        float* d = dx + ((b * h + i) * w + j) * c;
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj) {
            const float* s = dy + ((b * 2 * h + 2 * i + di) * 2 * w + 2 * j + dj) * c;
            for (int k = 0; k < c; ++k) d[k] += s[k];
          }
      }
    }
  };
  const size_t rows = size_t(batch) * h;
  Parallel(pool, rows, body, 4);
}

void DivideBackward(float* dx, const float* dy, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) dx[i] += dy[i] / s;
}

void EmbeddingForward(float* out, const float* table, const std::vector<int64_t>& labels, int dim) {
  for (size_t b = 0; b < labels.size(); ++b) std::memcpy(out + b * dim, table + labels[b] * dim, sizeof(float) * dim);
}

void EmbeddingBackward(float* dtable, const float* dout, const std::vector<int64_t>& labels, int dim) {
  for (size_t b = 0; b < labels.size(); ++b)
    for (int k = 0; k < dim; ++k) dtable[labels[b] * dim + k] += dout[b * dim + k];
}

}  // namespace ddpm::nn::train
