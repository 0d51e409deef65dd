// A sampling step allocates nothing: after the first steps (which plan the UNet's arena and fill the
// scheduler's buffers), every further step of Sample() — the UNet forward on the thread pool,
// classifier-free guidance, the scheduler step with its noise draw — leaves both allocation counters
// unchanged: heap allocations through operator new (containers, std::function, strings) and aligned
// buffers (every Tensor and the arena).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "base/tensor.h"
#include "base/thread_pool.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_sampling.h"
#include "nn/unet2d_model.h"
#include "support/reference.h"

namespace {
std::atomic<int64_t> g_heap_allocations{0};
}  // namespace

// Replacing the global operator new counts every heap allocation of the test binary. It forwards to
// malloc, so sanitizers still see every block.
void* operator new(std::size_t n) {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return ::operator new(n, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace ddpm;

namespace {

struct Counts {
  int64_t heap = 0, aligned = 0;
  bool operator==(const Counts& o) const { return heap == o.heap && aligned == o.aligned; }
};

Counts Now() { return {g_heap_allocations.load(), AlignedAllocationCount()}; }

}  // namespace

TEST_CASE("a sampling step allocates nothing once the first steps have run", "[diffusion][pipeline][alloc]") {
  auto unet = nn::UNet2DModel::FromPretrained(test::ReferencePath("unet_cond"));
  REQUIRE(unet.ok());
  ThreadPool pool(2);
  const NoisePredictor predict = UNetNoisePredictor(unet->get(), &pool);
  const JsonConfig scheduler =
      JsonConfig::Parse(R"({"beta_schedule": "linear", "num_train_timesteps": 1000})", "scheduler_config.json").value();

  // DDPM and DDIM with eta draw noise every step; DPM-Solver++ keeps a history of model outputs.
  // Guidance doubles the batch (label 9 stands in for the null class: unet_cond has none).
  struct Case {
    const char* scheduler;
    double eta;
    int settle;  // steps after which the buffers are all in place
  };
  for (const Case c : {Case{"ddpm", 0.0, 1}, Case{"ddim", 1.0, 1}, Case{"dpmpp", 0.0, 2}}) {
    DYNAMIC_SECTION(c.scheduler) {
      SampleOptions o;
      o.scheduler = c.scheduler;
      o.steps = 6;
      o.eta = c.eta;
      o.num_images = 2;
      o.class_labels = {1, 4};
      o.guidance_scale = 3.0;
      o.null_class = 9;
      o.seed = 7;
      std::vector<Counts> after_step;
      after_step.reserve(16);  // reserved up front: the callback itself must not allocate
      o.on_step = [&](const StepProgress&) {
        after_step.push_back(Now());
        return true;
      };
      auto images = Sample(predict, {1, 32, 32}, scheduler, o);
      REQUIRE(images.ok());
      REQUIRE(after_step.size() == 6);
      for (size_t i = size_t(c.settle); i + 1 < after_step.size(); ++i) {
        INFO("between steps " << i + 1 << " and " << i + 2);
        CHECK(after_step[i + 1].heap == after_step[i].heap);
        CHECK(after_step[i + 1].aligned == after_step[i].aligned);
      }
      // The counters do move when something allocates (the test can fail).
      const Counts before = Now();
      Tensor t({4});
      std::vector<int>* v = new std::vector<int>(3);
      delete v;
      CHECK(Now().aligned == before.aligned + 1);
      CHECK(Now().heap >= before.heap + 2);
    }
  }
}
