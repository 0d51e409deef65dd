// RunTrainBench on unet_cond: a short smoke test always; the batch-16 measurement is hidden ([.bench]):
//   build/native/tests/ddpm_tests "[train_bench]"
#include <catch2/catch.hpp>

#include <cstdio>

#include "support/reference.h"
#include "train/train_bench.h"

using namespace ddpm;

TEST_CASE("RunTrainBench reports speed and memory of training steps", "[nn_train][train_bench_smoke]") {
  TrainBenchOptions o;
  o.model = test::ReferencePath("unet_tiny");
  o.batch = 2;
  o.threads = {1};
  o.warmup_steps = 1;
  o.rounds = 1;
  o.seconds = 0;
  o.peak_seconds = 0.05;
  auto r = RunTrainBench(o);
  INFO(r.status().message());
  REQUIRE(r.ok());
  REQUIRE(r->rows.size() == 1);
  CHECK(r->rows[0].images_per_second > 0);
  CHECK(r->rows[0].peak_gflops > 0);
  CHECK(r->ToJson().find("\"images_per_s\"") != std::string::npos);
  CHECK(r->memory.saved > 0);
  CHECK(r->parameters == 702499);
}

TEST_CASE("Training speed of unet_cond, batch 16 at 32x32, 1 and 2 threads", "[.][train_bench]") {
  TrainBenchOptions o;
  o.model = test::ReferencePath("unet_cond");
  auto r = RunTrainBench(o);
  INFO(r.status().message());
  REQUIRE(r.ok());
  std::printf("%s", r->ToString().c_str());
}
