// BatchSampler for JS: the seeded epoch shuffle `ddpm train` draws its batches with
// (BatchSampler::ForTraining), so that the browser's trainer draws the same batches for the same seed.
// Conversions only; web/src/batch_sampler.js wraps it.
#include <cstdint>
#include <vector>

#include <emscripten/bind.h>

#include "js_convert.h"
#include "train/datasets.h"

namespace ddpm::wasm {
namespace {

class BatchSamplerHandle {
 public:
  BatchSamplerHandle(double count, double seed)
      : sampler_(BatchSampler::ForTraining(static_cast<int64_t>(count), static_cast<uint64_t>(seed))) {}
  // The next batch's example indices (an Int32Array); an epoch ends by reshuffling, as in `ddpm train`.
  val Next(int batch_size) {
    sampler_.Next(batch_size, &indices_);
    return Int32ArrayFrom(indices_);
  }
  double Epoch() const { return static_cast<double>(sampler_.epoch()); }
  double Cursor() const { return static_cast<double>(sampler_.cursor()); }

 private:
  BatchSampler sampler_;
  std::vector<int64_t> indices_;
};

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_batch_sampler) {
  using ddpm::wasm::BatchSamplerHandle;
  emscripten::class_<BatchSamplerHandle>("BatchSampler")
      .constructor<double, double>()
      .function("next", &BatchSamplerHandle::Next)
      .function("epoch", &BatchSamplerHandle::Epoch)
      .function("cursor", &BatchSamplerHandle::Cursor);
}
