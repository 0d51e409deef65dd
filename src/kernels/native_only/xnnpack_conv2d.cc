#include "kernels/native_only/xnnpack_conv2d.h"

#if defined(DDPM_HAVE_XNNPACK)

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cmath>
#include <map>
#include <mutex>
#include <vector>

namespace ddpm::kernels {

class XnnConv2d {
 public:
  explicit XnnConv2d(xnn_operator_t op) : op_(op) {}
  ~XnnConv2d() { xnn_delete_operator(op_); }
  XnnConv2d(const XnnConv2d&) = delete;
  XnnConv2d& operator=(const XnnConv2d&) = delete;
  xnn_operator_t get() { return op_; }
  std::mutex& mu() { return mu_; }

 private:
  xnn_operator_t op_;
  std::mutex mu_;  // one operator holds per-call setup state: never run it twice at once
};

namespace {

bool InitXnnpack() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

// One pthreadpool per thread count, kept for the process lifetime (nullptr = caller's thread).
pthreadpool_t ThreadpoolFor(int threads) {
  if (threads <= 1) return nullptr;
  static std::mutex mu;
  static std::map<int, pthreadpool_t> pools;
  std::lock_guard<std::mutex> lock(mu);
  pthreadpool_t& pool = pools[threads];
  if (!pool) pool = pthreadpool_create(size_t(threads));
  return pool;
}

}  // namespace

std::shared_ptr<XnnConv2d> CreateXnnConv2d(const Conv2dParams& p, const float* weight_oihw, const float* bias) {
  if (!InitXnnpack()) return nullptr;
  // XNNPACK wants the kernel as [cout][kh][kw][cin] (OHWI).
  std::vector<float> ohwi(size_t(p.cout) * p.kh * p.kw * p.cin);
  for (int co = 0; co < p.cout; ++co) {
    for (int ci = 0; ci < p.cin; ++ci) {
      for (int ky = 0; ky < p.kh; ++ky) {
        for (int kx = 0; kx < p.kw; ++kx) {
          ohwi[((size_t(co) * p.kh + ky) * p.kw + kx) * p.cin + ci] =
              weight_oihw[((size_t(co) * p.cin + ci) * p.kh + ky) * p.kw + kx];
        }
      }
    }
  }
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_convolution2d_nhwc_f32(
      p.pad_top, p.pad_right, p.pad_bottom, p.pad_left, p.kh, p.kw, p.stride, p.stride,
      /*dilation=*/1, 1, /*groups=*/1, p.cin, p.cout, /*input_channel_stride=*/p.cin,
      /*output_channel_stride=*/p.cout, ohwi.data(), bias, -INFINITY, INFINITY, /*flags=*/0, &op);
  if (st != xnn_status_success) return nullptr;
  return std::make_shared<XnnConv2d>(op);
}

bool RunXnnConv2d(XnnConv2d& op, const float* x, int batch, int h, int width, float* y, int threads) {
  std::lock_guard<std::mutex> lock(op.mu());
  pthreadpool_t pool = ThreadpoolFor(threads);
  if (xnn_setup_convolution2d_nhwc_f32(op.get(), batch, h, width, x, y, pool) != xnn_status_success) {
    return false;
  }
  return xnn_run_operator(op.get(), pool) == xnn_status_success;
}

}  // namespace ddpm::kernels

#endif  // DDPM_HAVE_XNNPACK
