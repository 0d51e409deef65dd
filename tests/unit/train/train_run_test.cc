#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <unistd.h>

#include "io/file_util.h"
#include "train_app/train_run.h"

using namespace ddpm;
namespace fs = std::filesystem;

namespace {
std::string FreshDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("ddpm_train_run_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p.string();
}
std::vector<uint8_t> Bytes(const std::string& path) { return ReadFileBytes(path).value(); }

TrainRunOptions ToyOptions(const std::string& out, int64_t steps) {
  TrainRunOptions o;
  o.data = "toy2d:moons";
  o.out_dir = out;
  o.steps = steps;
  o.batch_size = 32;
  o.checkpoint_every = 10;
  o.sample_every = 1000;
  o.seed = 7;
  return o;
}
}  // namespace

TEST_CASE("ddpm train on toy2d leaves a pipeline folder, a loss log and pictures", "[train][run]") {
  const std::string out = FreshDir("files");
  std::vector<int64_t> seen;
  TrainRunOptions o = ToyOptions(out, 30);
  o.on_progress = [&](const TrainProgress& p) {
    if (!p.event) seen.push_back(p.step);
  };
  Status st = RunTraining(o);
  REQUIRE(st.ok());
  CHECK(seen.size() == 30);
  for (const char* f : {"model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                        "scheduler/scheduler_config.json", "checkpoint.safetensors", "loss.csv", "loss.png",
                        "samples/step_0000030.png"})
    CHECK(FileExists(JoinPath(out, f)));
  // A second run into the same folder must not overwrite the first.
  Status again = RunTraining(o);
  REQUIRE_FALSE(again.ok());
  CHECK(again.message().find("--resume") != std::string::npos);
  fs::remove_all(out);
}

TEST_CASE("train N, stop, resume to 2N equals training 2N straight, bit for bit", "[train][run][resume]") {
  const std::string straight = FreshDir("straight"), resumed = FreshDir("resumed");
  REQUIRE(RunTraining(ToyOptions(straight, 40)).ok());

  // The first leg is interrupted by the stop flag (as Ctrl-C does) after step 17.
  std::atomic<bool> stop{false};
  TrainRunOptions first = ToyOptions(resumed, 40);
  first.stop = &stop;
  first.on_progress = [&](const TrainProgress& p) {
    if (p.step == 17) stop = true;
  };
  Status st = RunTraining(first);
  REQUIRE(st.code() == ErrorCode::kCancelled);
  TrainRunOptions second = ToyOptions(resumed, 40);
  second.resume = true;
  REQUIRE(RunTraining(second).ok());

  for (const char* f : {"unet/diffusion_pytorch_model.safetensors", "checkpoint.safetensors", "loss.csv"}) {
    INFO(f);
    CHECK(Bytes(JoinPath(straight, f)) == Bytes(JoinPath(resumed, f)));
  }
  fs::remove_all(straight);
  fs::remove_all(resumed);
}

TEST_CASE("bad training requests fail with a clear message and write nothing", "[train][run]") {
  const std::string out = FreshDir("bad");
  TrainRunOptions o = ToyOptions(out, 10);
  o.data = "toy2d:spiral";
  CHECK(RunTraining(o).message().find("spiral") != std::string::npos);
  o.data = "mnist";
  CHECK(RunTraining(o).message().find("fashion-mnist") != std::string::npos);
  o.data = "toy2d:moons";
  o.resume = true;
  CHECK(RunTraining(o).message().find("nothing to resume") != std::string::npos);
  CHECK_FALSE(FileExists(out));
}
