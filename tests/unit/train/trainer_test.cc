#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>
#include <map>
#include <new>
#include <vector>

#include "nn/toy_mlp.h"
#include "train/datasets.h"
#include "train/trainer.h"

using namespace ddpm;

namespace {

struct ToySetup {
  ToyMlp model = ToyMlp::Create({.data_dim = 2, .hidden = 32, .num_hidden_layers = 2, .time_embed_dim = 16}, 11);
  std::vector<float> points = MakeToy2D(Toy2DKind::kMoons, 4096, 5);
};

DDPMScheduler LinearScheduler() { return DDPMScheduler::FromJson(R"({"beta_schedule": "linear"})").value(); }

Tensor Batch(const std::vector<float>& points, BatchSampler& sampler, int batch) {
  std::vector<int64_t> idx;
  sampler.Next(batch, &idx);
  Tensor x({batch, 2});
  for (int i = 0; i < batch; ++i) std::memcpy(x.data() + 2 * i, points.data() + 2 * idx[i], 2 * sizeof(float));
  return x;
}

}  // namespace

TEST_CASE("training the toy MLP on two moons lowers the loss", "[train][trainer]") {
  ToySetup s;
  TrainOptions o;
  o.lr = 3e-3;
  o.seed = 1;
  Trainer trainer(&s.model, LinearScheduler(), o, nullptr);
  BatchSampler sampler(4096, 2);
  auto mean_loss = [&](int steps) {
    double sum = 0;
    for (int i = 0; i < steps; ++i) sum += trainer.Step(Batch(s.points, sampler, 128), {}).value().loss;
    return sum / steps;
  };
  const double first = mean_loss(50);
  mean_loss(700);
  const double last = mean_loss(50);
  INFO("mean loss over the first 50 steps " << first << ", after 800 steps " << last);
  CHECK(last < 0.75 * first);
  CHECK(trainer.step() == 800);
}

TEST_CASE("2N steps equal N steps + checkpoint + resume + N steps, bit for bit", "[train][trainer][resume]") {
  const auto path = (std::filesystem::temp_directory_path() / ("ddpm_trainer_resume_" + std::to_string(::getpid()) + ".safetensors")).string();
  const int n = 20;
  TrainOptions o;
  o.seed = 9;
  o.warmup_steps = 5;
  o.total_steps = 2 * n;
  o.ema.use_ema_warmup = true;

  // Straight through.
  ToySetup a;
  Trainer ta(&a.model, LinearScheduler(), o, nullptr);
  BatchSampler sa(4096, 3);
  for (int i = 0; i < 2 * n; ++i) REQUIRE(ta.Step(Batch(a.points, sa, 64), {}).ok());

  // Interrupted: a fresh process would rebuild the model and trainer, then resume.
  {
    ToySetup b;
    Trainer tb(&b.model, LinearScheduler(), o, nullptr);
    BatchSampler sb(4096, 3);
    for (int i = 0; i < n; ++i) REQUIRE(tb.Step(Batch(b.points, sb, 64), {}).ok());
    REQUIRE(tb.SaveCheckpoint(path, {{"epoch", std::to_string(sb.epoch())}, {"cursor", std::to_string(sb.cursor())}})
                .ok());
  }
  ToySetup c;
  c.model = ToyMlp::Create({.data_dim = 2, .hidden = 32, .num_hidden_layers = 2, .time_embed_dim = 16}, 999);
  Trainer tc(&c.model, LinearScheduler(), o, nullptr);
  std::map<std::string, std::string> extra;
  REQUIRE(tc.LoadCheckpoint(path, &extra).ok());
  BatchSampler sc(4096, 3);
  sc.Seek(std::stoll(extra.at("epoch")), std::stoll(extra.at("cursor")));
  for (int i = 0; i < n; ++i) REQUIRE(tc.Step(Batch(c.points, sc, 64), {}).ok());

  ParamList pa = a.model.Parameters(), pc = c.model.Parameters();
  REQUIRE(pa.size() == pc.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].name);
    CHECK(std::memcmp(pa[i].value, pc[i].value, pa[i].size * sizeof(float)) == 0);
    CHECK(std::memcmp(ta.ema()->shadow()[i].data(), tc.ema()->shadow()[i].data(), pa[i].size * sizeof(float)) == 0);
  }
  std::filesystem::remove(path);
}

TEST_CASE("a checkpoint for another model is rejected by name", "[train][trainer][resume]") {
  const auto path = (std::filesystem::temp_directory_path() / ("ddpm_trainer_other_" + std::to_string(::getpid()) + ".safetensors")).string();
  ToySetup a;
  Trainer ta(&a.model, LinearScheduler(), {}, nullptr);
  REQUIRE(ta.SaveCheckpoint(path, {}).ok());
  ToyMlp bigger = ToyMlp::Create({.data_dim = 2, .hidden = 64, .num_hidden_layers = 2, .time_embed_dim = 16}, 1);
  Trainer tb(&bigger, LinearScheduler(), {}, nullptr);
  Status st = tb.LoadCheckpoint(path, nullptr);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("layers.0.weight") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("CheckTrainOptions names the option out of range", "[train][trainer]") {
  CHECK(CheckTrainOptions({}).ok());
  auto message = [](auto&& edit) {
    TrainOptions o;
    edit(o);
    return CheckTrainOptions(o).message();
  };
  CHECK(message([](TrainOptions& o) { o.lr = -1; }) == "lr -1 must be in (0, inf)");
  CHECK(message([](TrainOptions& o) { o.adamw.beta2 = 1; }) == "beta2 1 must be in [0, 1)");
  CHECK(message([](TrainOptions& o) { o.adamw.eps = 0; }) == "eps 0 must be in (0, inf)");
  CHECK(message([](TrainOptions& o) { o.ema.decay = 1.5; }) == "ema decay 1.5 must be in [0, 1]");
  CHECK(message([](TrainOptions& o) {
          o.ema.decay = 1.5;
          o.use_ema = false;  // an unused EMA's options do not matter
        }) == "");
  CHECK_THAT(message([](TrainOptions& o) { o.label_dropout = 0.1; }),
             Catch::Contains("label_dropout 0.1 needs a null class"));
  CHECK(message([](TrainOptions& o) {
          o.label_dropout = 0.1;
          o.null_class = 10;
        }) == "");
}

TEST_CASE("a batch without a batch dimension is refused, not read out of bounds", "[train][trainer]") {
  ToySetup s;
  Trainer trainer(&s.model, LinearScheduler(), {}, nullptr);
  for (const Shape& shape : {Shape{}, Shape{2}, Shape{0, 2}}) {
    auto r = trainer.LossAndGradients(Tensor(shape), {});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("x0 must be a batch"));
  }
}

namespace {

// A toy MLP whose backward runs out of memory on the first `failures` calls, as the UNet's workspace does
// (it throws std::bad_alloc from deep inside a layer).
class OutOfMemoryOnBackward : public ToyMlp {
 public:
  explicit OutOfMemoryOnBackward(ToyMlp m, int failures) : ToyMlp(std::move(m)), failures_(failures) {}
  Status Backward(const Tensor& dout, ThreadPool* pool) override {
    if (failures_-- > 0) throw std::bad_alloc();
    return ToyMlp::Backward(dout, pool);
  }

 private:
  int failures_;
};

}  // namespace

TEST_CASE("memory exhausted inside a training step is an OutOfMemory error, and the trainer goes on", "[train][trainer]") {
  ToySetup s;
  OutOfMemoryOnBackward model(s.model, 1);
  Trainer trainer(&model, LinearScheduler(), TrainOptions{}, nullptr);
  BatchSampler sampler(4096, 3);
  const Tensor x0 = Batch(s.points, sampler, 64);
  Expected<StepStats> failed = trainer.Step(x0, {});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == ErrorCode::kOutOfMemory);
  CHECK(failed.status().message() == "train step: out of memory for a batch of shape [64, 2] (try a smaller batch)");
  CHECK(trainer.step() == 0);  // no update was made
  Expected<StepStats> next = trainer.Step(x0, {});
  REQUIRE(next.ok());
  CHECK(std::isfinite(next->loss));
  CHECK(trainer.step() == 1);
}
