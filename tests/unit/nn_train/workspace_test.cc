// The training work buffers: grown to the largest size asked, kept, and an OutOfMemory Status (not an exception)
// when memory is exhausted.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>

#include "nn/train/workspace.h"

using namespace ddpm;
using ddpm::nn::train::Workspace;

TEST_CASE("Workspace grows a slot to the largest size asked and keeps it", "[nn_train][workspace]") {
  Workspace ws;
  Expected<float*> a = ws.Get(Workspace::kScratch, 100);
  REQUIRE(a.ok());
  Expected<float*> smaller = ws.Get(Workspace::kScratch, 10);
  REQUIRE(smaller.ok());
  CHECK(*smaller == *a);  // no new buffer for a smaller request
  Expected<float*> zeroed = ws.Zeroed(Workspace::kGrad0, 64);
  REQUIRE(zeroed.ok());
  for (int i = 0; i < 64; ++i) CHECK((*zeroed)[i] == 0.0f);
  CHECK(ws.bytes() == (100 + 64) * sizeof(float));
}

TEST_CASE("Workspace reports exhausted memory as an OutOfMemory error and stays usable", "[nn_train][workspace]") {
  Workspace ws;
  // More bytes than size_t counts (native and wasm32 alike): refused before any malloc, so ASan has nothing to abort.
  const size_t impossible = SIZE_MAX / sizeof(float);
  Expected<float*> failed = ws.Get(Workspace::kRecompute, impossible);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == ErrorCode::kOutOfMemory);
  INFO(failed.status().message());
  CHECK(failed.status().message().find("cannot allocate a work buffer") != std::string::npos);
  CHECK_FALSE(ws.Zeroed(Workspace::kRecompute, impossible).ok());
  Expected<float*> next = ws.Get(Workspace::kRecompute, 16);
  REQUIRE(next.ok());
  std::memset(*next, 0, 16 * sizeof(float));
}
