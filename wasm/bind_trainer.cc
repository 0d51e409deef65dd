// Trainer for JS (DESIGN.md "Training, low level"): a UNet2DTrainable (or the toy 2-D MLP) with the DDPM trainer of
// `ddpm train` (src/train/trainer.h), its parameters and EMA by diffusers state_dict key, and the
// pipeline export (src/train/pipeline_export.h). Conversions only; web/src/trainer.js wraps it.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/bind.h>

#include "base/thread_pool.h"
#include "diffusion/scheduling_ddpm.h"
#include "diffusion/unet_sampling.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "js_convert.h"
#include "nn/denoiser_factory.h"
#include "train/pipeline_export.h"
#include "train/trainer.h"

namespace ddpm::wasm {
namespace {

// options (keys as DESIGN.md; absent keys keep TrainOptions' defaults): lr, betas: [b1, b2], eps,
// weightDecay, maxGradNorm, warmupSteps, totalSteps, minSnrGamma, labelDropout, randomFlip, seed,
// ema: false | {decay, minDecay, updateAfterStep, useEmaWarmup, invGamma, power}.
TrainOptions TrainOptionsFromJs(const val& o) {
  TrainOptions to;
  ReadNumber(o, "lr", &to.lr);
  to.adamw.lr = to.lr;
  const val betas = o["betas"];
  if (!betas.isUndefined() && !betas.isNull()) {
    ReadNumber(betas, "0", &to.adamw.beta1);
    ReadNumber(betas, "1", &to.adamw.beta2);
  }
  ReadNumber(o, "eps", &to.adamw.eps);
  ReadNumber(o, "weightDecay", &to.adamw.weight_decay);
  double max_grad_norm = to.max_grad_norm, warmup = 0, total = 0, seed = 0;
  ReadNumber(o, "maxGradNorm", &max_grad_norm);
  to.max_grad_norm = static_cast<float>(max_grad_norm);
  ReadNumber(o, "warmupSteps", &warmup);
  ReadNumber(o, "totalSteps", &total);
  ReadNumber(o, "seed", &seed);
  to.warmup_steps = static_cast<int64_t>(warmup);
  to.total_steps = static_cast<int64_t>(total);
  to.seed = static_cast<uint64_t>(seed);
  ReadNumber(o, "minSnrGamma", &to.min_snr_gamma);
  ReadNumber(o, "labelDropout", &to.label_dropout);
  ReadBool(o, "randomFlip", &to.random_flip);
  const val ema = o["ema"];
  to.use_ema = !ema.isFalse();
  if (ema.typeOf().as<std::string>() == "object" && !ema.isNull()) {
    ReadNumber(ema, "decay", &to.ema.decay);
    ReadNumber(ema, "minDecay", &to.ema.min_decay);
    double after = 0;
    ReadNumber(ema, "updateAfterStep", &after);
    to.ema.update_after_step = static_cast<int64_t>(after);
    ReadBool(ema, "useEmaWarmup", &to.ema.use_ema_warmup);
    ReadNumber(ema, "invGamma", &to.ema.inv_gamma);
    ReadNumber(ema, "power", &to.ema.power);
  }
  return to;
}

// {name: Tensor} for every parameter, in the model's registration order; `values` picks the buffer.
template <class F>
val ParamsToJs(const ParamList& params, F&& values) {
  val out = val::object();
  for (size_t i = 0; i < params.size(); ++i) out.set(params[i].name, TensorToJs(values(i), params[i].shape));
  return out;
}

// The model a trainer starts from, built by the core's denoiser factory (nn/denoiser_factory.h): a
// UNet2DModel, or the toy 2-D MLP when config.json's _class_name says ToyMLPDenoiser; fresh weights from
// `seed` when `weights` is undefined.
struct TrainableModel {
  std::unique_ptr<TrainableDenoiser> model;
  PipelineExportOptions export_options;  // model_index.json's class, and the null class for guidance
  bool has_input_gradient = true;        // the toy MLP does not compute d loss / d x_t
};

Expected<TrainableModel> MakeTrainableModel(const JsonConfig& cfg, const val& weights, uint64_t seed) {
  DDPM_ASSIGN_OR_RETURN(DenoiserKind kind, ReadDenoiserKind(cfg));
  std::optional<SafeTensors> st;
  if (!weights.isUndefined() && !weights.isNull()) {
    DDPM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BytesFromJs(weights, "weights"));
    DDPM_ASSIGN_OR_RETURN(st, SafeTensors::FromBytes(std::move(bytes), "diffusion_pytorch_model.safetensors"));
  }
  UNetClasses classes;  // the toy MLP has no class labels
  if (kind == DenoiserKind::kUNet2DModel) {
    DDPM_ASSIGN_OR_RETURN(classes, ReadUNetClasses(cfg));
  }
  TrainableModel m;
  DDPM_ASSIGN_OR_RETURN(m.model, MakeTrainableDenoiser(cfg, st ? &*st : nullptr, seed));
  m.export_options = {DenoiserLibrary(kind), DenoiserClassName(kind), classes.null_class};
  m.has_input_gradient = kind == DenoiserKind::kUNet2DModel;
  return m;
}

class TrainerHandle {
 public:
  // The model from config.json text and safetensors bytes, or (weights undefined) fresh weights from
  // the config with options.seed: a UNet2DModel, or the toy MLP (_class_name ToyMLPDenoiser).
  // "" on success, else the core's message.
  std::string Create(const std::string& config_json, const val& weights, const std::string& scheduler_json,
                     const val& options, int threads) {
    Expected<JsonConfig> cfg = JsonConfig::Parse(config_json, "model config");
    if (!cfg.ok()) return cfg.status().message();
    Expected<DDPMScheduler> sched = DDPMScheduler::FromJson(scheduler_json, "scheduler config");
    if (!sched.ok()) return sched.status().message();
    TrainOptions to = TrainOptionsFromJs(options);
    Expected<TrainableModel> model = MakeTrainableModel(*cfg, weights, to.seed);
    if (!model.ok()) return model.status().message();
    to.null_class = model->export_options.null_class;
    if (Status st = CheckTrainOptions(to); !st.ok()) return st.message();
    trainer_.reset();  // before the model it points to
    model_ = std::move(model).value();
    pool_ = std::make_unique<ThreadPool>(threads);
    trainer_ = std::make_unique<Trainer>(model_.model.get(), std::move(sched).value(), to, pool_.get());
    return "";
  }

  // batch: {x0: Tensor, classLabels?, noise?: Tensor, timesteps?} -> {loss, gradNorm, lr, step}.
  val Step(const val& batch) {
    Batch b;
    if (Status st = b.Read(trainer_.get(), batch); !st.ok()) return ErrorValue(st);
    Expected<StepStats> s = trainer_->Step(b.x0, b.labels, b.inputs());
    if (!s.ok()) return ErrorValue(s.status());
    val out = val::object();
    out.set("loss", s->loss);
    out.set("gradNorm", s->grad_norm);
    out.set("lr", s->lr);
    out.set("step", static_cast<double>(trainer_->step()));
    return out;
  }

  // -> {loss, gradients: {name: Tensor}, inputGradient: Tensor (d loss / d x_t)}; no update.
  val LossAndGradients(const val& batch) {
    Batch b;
    if (Status st = b.Read(trainer_.get(), batch); !st.ok()) return ErrorValue(st);
    Tensor dx;
    Expected<float> loss = trainer_->LossAndGradients(b.x0, b.labels, b.inputs(), model_.has_input_gradient ? &dx : nullptr);
    if (!loss.ok()) return ErrorValue(loss.status());
    const ParamList params = model_.model->Parameters();
    val out = val::object();
    out.set("loss", *loss);
    out.set("gradients", ParamsToJs(params, [&](size_t i) { return params[i].grad; }));
    out.set("inputGradient", model_.has_input_gradient ? TensorToJs(dx) : val::null());
    return out;
  }

  val Parameters() {
    if (!trainer_) return ErrorValue(InvalidArgument(NotCreated()));
    const ParamList params = model_.model->Parameters();
    return ParamsToJs(params, [&](size_t i) { return params[i].value; });
  }

  // null when the trainer keeps no EMA.
  val EmaParameters() {
    if (!trainer_) return ErrorValue(InvalidArgument(NotCreated()));
    if (!trainer_->ema()) return val::null();
    const ParamList params = model_.model->Parameters();
    return ParamsToJs(params, [&](size_t i) { return trainer_->ema()->shadow()[i].data(); });
  }

  // {path: contents}: JSON files as strings, the weights as a Uint8Array.
  val ExportPipeline() {
    if (!trainer_) return ErrorValue(InvalidArgument(NotCreated()));
    Expected<PipelineFiles> files = ddpm::ExportPipeline(*trainer_, model_.export_options);
    if (!files.ok()) return ErrorValue(files.status());
    val out = val::object();
    for (const auto& [path, bytes] : *files) {
      const bool json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
      out.set(path, json ? val(std::string(bytes.begin(), bytes.end())) : Uint8ArrayFrom(bytes));
    }
    return out;
  }

 private:
  static std::string NotCreated() { return "Trainer is not created"; }

  // A JS batch converted; inputs() points into it.
  struct Batch {
    Tensor x0, noise;
    std::vector<int64_t> labels, timesteps;
    bool has_noise = false, has_timesteps = false;

    Status Read(const Trainer* trainer, const val& js) {
      if (!trainer) return InvalidArgument(NotCreated());
      if (js.isUndefined() || js.isNull()) return InvalidArgument("batch: expected {x0, classLabels?, noise?, timesteps?}");
      DDPM_ASSIGN_OR_RETURN(x0, TensorFromJs(js["x0"], "x0"));
      DDPM_ASSIGN_OR_RETURN(labels, OptionalIntsFromJs(js["classLabels"], "classLabels"));
      if (!js["noise"].isUndefined() && !js["noise"].isNull()) {
        DDPM_ASSIGN_OR_RETURN(noise, TensorFromJs(js["noise"], "noise"));
        has_noise = true;
      }
      if (!js["timesteps"].isUndefined() && !js["timesteps"].isNull()) {
        DDPM_ASSIGN_OR_RETURN(timesteps, IntsFromJs(js["timesteps"], "timesteps"));
        has_timesteps = true;
      }
      return Status::Ok();
    }
    StepInputs inputs() const { return {has_noise ? &noise : nullptr, has_timesteps ? &timesteps : nullptr}; }
  };

  TrainableModel model_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Trainer> trainer_;  // declared last: destroyed before the model and pool it uses
};

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_trainer) {
  using ddpm::wasm::TrainerHandle;
  emscripten::class_<TrainerHandle>("Trainer")
      .constructor<>()
      .function("create", &TrainerHandle::Create)
      .function("step", &TrainerHandle::Step)
      .function("lossAndGradients", &TrainerHandle::LossAndGradients)
      .function("parameters", &TrainerHandle::Parameters)
      .function("emaParameters", &TrainerHandle::EmaParameters)
      .function("exportPipeline", &TrainerHandle::ExportPipeline);
}
