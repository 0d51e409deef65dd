// Reference twin of Conv2d: the seven nested loops of the definition, accumulating in double.
#include "kernels/conv2d/conv2d.h"

namespace ddpm::kernels {

void Conv2dScalar(const Conv2dParams& p, const float* weight_oihw, const float* bias, const float* x,
                  int batch, int h, int width, float* y, bool accumulate) {
  const int oh = Conv2dOutDim(h, p.kh, p.stride, p.pad_top, p.pad_bottom);
  const int ow = Conv2dOutDim(width, p.kw, p.stride, p.pad_left, p.pad_right);
  for (int b = 0; b < batch; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        float* out = y + ((size_t(b) * oh + oy) * ow + ox) * p.cout;
        for (int co = 0; co < p.cout; ++co) {
          double sum = bias ? bias[co] : 0.0;
          for (int ky = 0; ky < p.kh; ++ky) {
            const int iy = oy * p.stride - p.pad_top + ky;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < p.kw; ++kx) {
              const int ix = ox * p.stride - p.pad_left + kx;
              if (ix < 0 || ix >= width) continue;
              const float* in = x + ((size_t(b) * h + iy) * width + ix) * p.cin;
              for (int ci = 0; ci < p.cin; ++ci) {
                sum += double(in[ci]) * weight_oihw[((size_t(co) * p.cin + ci) * p.kh + ky) * p.kw + kx];
              }
            }
          }
          out[co] = accumulate ? float(double(out[co]) + sum) : float(sum);
        }
      }
    }
  }
}

}  // namespace ddpm::kernels
