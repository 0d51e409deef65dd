// One DDPM training step of UNet2DTrainable against torch autograd (shared/reference/training_unet_*):
// the loss, every parameter gradient, d loss / d x_t, then three clipped AdamW steps with EMA. One
// report line per tensor (name, maxdiff, OK/NOT OK), llm.c's check_tensor. Tolerances are the
// reference README's "Suggested checks for a float32 port" (section "training_unet_*"):
//   loss, grad norms: 1e-5 relative
//   each gradient tensor: max|a-b| <= 1e-4·max|b|;  attention to_k.bias (dead): |a| <= 1e-8
//   adamw.param.*, ema.param.*: every element within 1e-4, and at most 0.1% of the elements of the
//   live tensors (all together) off by more than 2e-6 (catches a wrong weight decay); dead to_k.bias
//   left out.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "base/thread_pool.h"
#include "diffusion/scheduling_ddpm.h"
#include "io/safetensors.h"
#include "nn/train/unet2d_trainable.h"
#include "support/reference.h"
#include "train/trainer.h"

using namespace ddpm;

namespace {

constexpr double kLossRtol = 1e-5;       // loss and grad norms, relative
constexpr double kGradRel = 1e-4;        // max|a-b| <= 1e-4·max|b| per gradient tensor
constexpr double kDeadGradAbs = 1e-8;    // |g| of the softmax-cancelled to_k.bias
constexpr double kParamAbs = 1e-4;       // AdamW / EMA weights: every element
constexpr double kParamLooseAbs = 2e-6;  // ... and at most 0.1% of elements beyond this
constexpr double kParamLooseFraction = 1e-3;

struct Reference {
  SafeTensors file;
  nlohmann::json json;
  std::set<std::string> dead;
  Tensor x0, noise;
  std::vector<int64_t> timesteps, labels;
};

Reference LoadReference(const std::string& name) {
  auto f = SafeTensors::ReadFile(test::ReferencePath(name + ".safetensors"));
  INFO(f.status().message());
  REQUIRE(f.ok());
  Reference r{std::move(f).value(), test::LoadReferenceJson(name + ".json"), {}, {}, {}, {}, {}};
  for (const auto& d : r.json["dead_parameters"]) r.dead.insert(d.get<std::string>());
  r.x0 = *r.file.GetFloat("input.x0");
  r.noise = *r.file.GetFloat("input.noise");
  r.timesteps = *r.file.GetInt("input.timesteps");
  if (r.file.Has("input.class_labels")) r.labels = *r.file.GetInt("input.class_labels");
  return r;
}

std::unique_ptr<nn::train::UNet2DTrainable> LoadModel(const std::string& folder) {
  auto m = nn::train::UNet2DTrainable::FromPretrained(test::ReferencePath(folder));
  INFO(m.status().message());
  REQUIRE(m.ok());
  return std::move(m).value();
}

TrainOptions ReferenceOptions() {  // the reference's AdamW / clip / EMA call
  TrainOptions o;
  o.lr = 1e-3;
  o.adamw.beta1 = 0.9;
  o.adamw.beta2 = 0.999;
  o.adamw.eps = 1e-8;
  o.adamw.weight_decay = 1e-2;
  o.max_grad_norm = 1.0f;
  o.use_ema = true;
  o.ema.decay = 0.9999;
  o.ema.use_ema_warmup = true;
  o.ema.inv_gamma = 1.0;
  o.ema.power = 2.0 / 3.0;
  return o;
}

DDPMScheduler NoiseScheduler() {
  return DDPMScheduler::FromJson(R"({"num_train_timesteps": 1000, "beta_schedule": "linear",
                                     "beta_start": 0.0001, "beta_end": 0.02})").value();
}

double MaxAbs(const float* a, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, double(std::fabs(a[i])));
  return m;
}

double MaxDiff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    m = std::isnan(d) ? INFINITY : std::max(m, d);
  }
  return m;
}

bool CheckScalar(const std::string& name, double got, double want, double rtol) {
  const double rel = std::fabs(got - want) / std::fabs(want);
  const bool ok = rel <= rtol;
  std::printf("  %-52s %.9g vs %.9g rel %.2e (tol %.0e) %s\n", name.c_str(), got, want, rel, rtol, ok ? "OK" : "NOT OK");
  return ok;
}

// max|a-b| <= rel·max|b|
bool CheckGrad(const std::string& name, const float* got, const Tensor& want, double* worst_rel) {
  const double diff = MaxDiff(got, want.data(), want.size()), scale = MaxAbs(want.data(), want.size());
  const bool ok = diff <= kGradRel * scale;
  if (scale > 0) *worst_rel = std::max(*worst_rel, diff / scale);
  std::printf("  %-52s maxdiff %.3g (tol %.3g) %s\n", name.c_str(), diff, kGradRel * scale, ok ? "OK" : "NOT OK");
  return ok;
}

// Every element within 1e-4; counts the elements beyond 2e-6 (bounded over all live tensors).
struct ParamTally {
  double worst = 0;
  size_t loose = 0, total = 0;
  bool Done(const std::string& what) const {
    const bool ok = double(loose) <= kParamLooseFraction * double(total);
    std::printf("  %-52s %zu of %zu live elements beyond %.0e (tol %.1f%%), worst %.3g %s\n", what.c_str(), loose,
                total, kParamLooseAbs, 100 * kParamLooseFraction, worst, ok ? "OK" : "NOT OK");
    return ok;
  }
};

bool CheckParam(const std::string& name, const float* got, const Tensor& want, ParamTally* tally) {
  const size_t n = want.size();
  size_t loose = 0;
  for (size_t i = 0; i < n; ++i) loose += std::fabs(double(got[i]) - double(want[i])) > kParamLooseAbs;
  const double diff = MaxDiff(got, want.data(), n);
  tally->worst = std::max(tally->worst, diff);
  tally->loose += loose;
  tally->total += n;
  const bool ok = diff <= kParamAbs;
  std::printf("  %-52s maxdiff %.3g (tol %.0e), %zu/%zu beyond %.0e %s\n", name.c_str(), diff, kParamAbs, loose, n,
              kParamLooseAbs, ok ? "OK" : "NOT OK");
  return ok;
}

void RunTrainingReference(const std::string& name, const std::string& folder, int threads) {
  const Reference ref = LoadReference(name);
  ThreadPool pool(threads);
  std::printf("%s (threads %d): gradients of one step\n", name.c_str(), threads);
  bool all_ok = true;

  // 1. Loss, gradients, d loss / d x_t.
  {
    auto model = LoadModel(folder);
    Trainer trainer(model.get(), NoiseScheduler(), ReferenceOptions(), &pool);
    Tensor dx;
    auto loss = trainer.LossAndGradients(ref.x0, ref.labels, {&ref.noise, &ref.timesteps}, &dx);
    INFO(loss.status().message());
    REQUIRE(loss.ok());
    all_ok &= CheckScalar("loss", *loss, (*ref.file.GetFloat("loss"))[0], kLossRtol);
    double worst_rel = 0;
    all_ok &= CheckGrad("grad.input.sample", dx.data(), *ref.file.GetFloat("grad.input.sample"), &worst_rel);
    size_t checked = 0;
    for (const ParamRef& p : model->Parameters()) {
      auto want = ref.file.GetFloat("grad." + p.name);
      REQUIRE(want.ok());
      REQUIRE(want->size() == p.size);
      if (ref.dead.count(p.name)) {
        const double g = MaxAbs(p.grad, p.size);
        const bool ok = g <= kDeadGradAbs;
        std::printf("  %-52s max|g| %.3g (dead, tol %.0e) %s\n", ("grad." + p.name).c_str(), g, kDeadGradAbs,
                    ok ? "OK" : "NOT OK");
        all_ok &= ok;
      } else {
        all_ok &= CheckGrad("grad." + p.name, p.grad, *want, &worst_rel);
      }
      ++checked;
    }
    std::printf("  %zu parameter tensors; worst max|Δ|/max|ref| over live gradients %.3g\n", checked, worst_rel);
    CHECK(checked == ref.json["f64_per_tensor"].size());
  }

  // 2. Three AdamW steps with clipping and EMA, from the folder's weights again.
  {
    std::printf("%s (threads %d): 3 AdamW steps + EMA\n", name.c_str(), threads);
    auto model = LoadModel(folder);
    Trainer trainer(model.get(), NoiseScheduler(), ReferenceOptions(), &pool);
    for (int k = 0; k < 3; ++k) {
      auto st = trainer.Step(ref.x0, ref.labels, {&ref.noise, &ref.timesteps});
      INFO(st.status().message());
      REQUIRE(st.ok());
      const std::string ks = std::to_string(k);
      all_ok &= CheckScalar("adamw.loss_step" + ks, st->loss, (*ref.file.GetFloat("adamw.loss_step" + ks))[0], kLossRtol);
      all_ok &= CheckScalar("adamw.grad_norm_step" + ks, st->grad_norm,
                            (*ref.file.GetFloat("adamw.grad_norm_step" + ks))[0], kLossRtol);
    }
    ParamTally adamw, ema;
    const ParamList params = model->Parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const ParamRef& p = params[i];
      if (ref.dead.count(p.name)) continue;  // Adam turns their rounding-noise gradients into ±lr moves
      all_ok &= CheckParam("adamw.param." + p.name, p.value, *ref.file.GetFloat("adamw.param." + p.name), &adamw);
      all_ok &= CheckParam("ema.param." + p.name, trainer.ema()->shadow()[i].data(),
                           *ref.file.GetFloat("ema.param." + p.name), &ema);
    }
    auto final_loss = trainer.LossAndGradients(ref.x0, ref.labels, {&ref.noise, &ref.timesteps});
    REQUIRE(final_loss.ok());
    all_ok &= CheckScalar("adamw.loss_final", *final_loss, (*ref.file.GetFloat("adamw.loss_final"))[0], kLossRtol);
    all_ok &= adamw.Done("adamw.param.* (all live)");
    all_ok &= ema.Done("ema.param.* (all live)");
  }
  CHECK(all_ok);
}

}  // namespace

TEST_CASE("UNet2DTrainable: one training step of unet_tiny matches torch autograd + AdamW + EMA",
          "[nn_train][reference]") {
  RunTrainingReference("training_unet_tiny", "unet_tiny", 1);
}

TEST_CASE("UNet2DTrainable: one training step of unet_cond (class labels) matches torch, 2 threads",
          "[nn_train][reference][cond]") {
  RunTrainingReference("training_unet_cond", "unet_cond", 2);
}
