// Embind glue shared by the schedulers (src/diffusion/): the sampling three, whose C++ APIs have the same
// shape, and the editing two (RePaint, DDIM inverse), whose step differs; each binds the step its core has.
// SchedulerHandle<S> holds one scheduler and converts arguments and results; it has no maths. Every
// method that can fail returns {error: message} or "" / an error string, never throws (the JS wrapper
// in web/src/schedulers.js turns them into Error).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "base/rng.h"
#include "diffusion/scheduler_common.h"
#include "js_convert.h"

namespace ddpm::wasm {

template <class S>
class SchedulerHandle {
 public:
  // "" on success, else the core's message (a bad key names the key).
  std::string Configure(const std::string& json) {
    Expected<S> s = S::FromJson(json, "scheduler config");
    if (!s.ok()) return s.status().message();
    s_.emplace(std::move(s).value());
    return "";
  }

  std::string ConfigJson() const { return s_ ? s_->config().ToJson().dump() : "{}"; }
  val Betas() const { return s_ ? Float32ArrayFrom(s_->betas().data(), s_->betas().size()) : val::null(); }
  val AlphasCumprod() const {
    return s_ ? Float32ArrayFrom(s_->alphas_cumprod().data(), s_->alphas_cumprod().size()) : val::null();
  }
  val Timesteps() const { return s_ ? Int32ArrayFrom(s_->timesteps()) : val::null(); }
  std::string SetTimesteps(int n) { return Configured() ? s_->SetTimesteps(n).message() : NotConfigured(); }

  // The stream noise is drawn from when a step needs noise and the caller gave none.
  void ManualSeed(double seed) { rng_ = PhiloxRng(static_cast<uint64_t>(seed)); }

  // options: {eta: number, useClippedModelOutput: boolean, noise: Tensor | undefined}.
  // (DPM-Solver++'s step is not const: it keeps a history.)
  static constexpr bool kHasStandardStep = requires(S& s, const Tensor& t, const StepOptions& o) {
    s.Step(t, int64_t{0}, t, o);
  };
  val Step(const val& model_output, int timestep, const val& sample, const val& options)
    requires kHasStandardStep
  {
    std::vector<Tensor> t;
    StepOptions opts;
    Tensor noise;
    if (Status st = ReadStep({{model_output, "modelOutput"}, {sample, "sample"}}, options, &t, &opts, &noise); !st.ok())
      return ErrorValue(st);
    opts.eta = options["eta"].isNumber() ? options["eta"].as<double>() : 0.0;
    opts.use_clipped_model_output = options["useClippedModelOutput"].isTrue();
    return StepResult(s_->Step(t[0], timestep, t[1], opts));
  }

  // RePaint: step(modelOutput, t, sample, originalImage, mask, {noise}) and undoStep(sample, t, {noise}).
  static constexpr bool kIsRePaint = requires(const S& s, const Tensor& t, const StepOptions& o) {
    s.Step(t, int64_t{0}, t, t, t, o);
    s.UndoStep(t, int64_t{0}, o);
  };
  val RePaintStep(const val& model_output, int timestep, const val& sample, const val& original_image,
                  const val& mask, const val& options)
    requires kIsRePaint
  {
    std::vector<Tensor> t;
    StepOptions opts;
    Tensor noise;
    if (Status st = ReadStep({{model_output, "modelOutput"}, {sample, "sample"}, {original_image, "originalImage"},
                              {mask, "mask"}}, options, &t, &opts, &noise);
        !st.ok())
      return ErrorValue(st);
    return StepResult(s_->Step(t[0], timestep, t[1], t[2], t[3], opts));
  }
  val UndoStep(const val& sample, int timestep, const val& options)
    requires kIsRePaint
  {
    std::vector<Tensor> t;
    StepOptions opts;
    Tensor noise;
    if (Status st = ReadStep({{sample, "sample"}}, options, &t, &opts, &noise); !st.ok()) return ErrorValue(st);
    Expected<Tensor> out = s_->UndoStep(t[0], timestep, opts);
    if (!out.ok()) return ErrorValue(out.status());
    return TensorToJs(*out);
  }
  std::string SetTimestepsJumps(int n, int jump_length, int jump_n_sample)
    requires kIsRePaint
  {
    return Configured() ? s_->SetTimesteps(n, jump_length, jump_n_sample).message() : NotConfigured();
  }
  double UndoDraws() const
    requires kIsRePaint
  {
    return s_ ? static_cast<double>(s_->undo_draws()) : 0.0;
  }

  // DDIMInverseScheduler: step(modelOutput, t, sample), no noise.
  // (The sampling schedulers' step takes three arguments too, with default options: they are not this.)
  static constexpr bool kIsInverse =
      !kHasStandardStep && !kIsRePaint && requires(const S& s, const Tensor& t) { s.Step(t, int64_t{0}, t); };
  val InverseStep(const val& model_output, int timestep, const val& sample)
    requires kIsInverse
  {
    std::vector<Tensor> t;
    StepOptions opts;
    Tensor noise;
    if (Status st = ReadStep({{model_output, "modelOutput"}, {sample, "sample"}}, val::undefined(), &t, &opts, &noise);
        !st.ok())
      return ErrorValue(st);
    return StepResult(s_->Step(t[0], timestep, t[1]));
  }

  static constexpr bool kHasAddNoise = requires(const S& s, const Tensor& t, const std::vector<int64_t>& ts) {
    s.AddNoise(t, t, ts);
  };
  val AddNoise(const val& original_samples, const val& noise, const val& timesteps) const
    requires kHasAddNoise
  {
    return TableOp(original_samples, "originalSamples", noise, timesteps, &S::AddNoise);
  }
  static constexpr bool kHasGetVelocity = requires(const S& s, const Tensor& t, const std::vector<int64_t>& ts) {
    s.GetVelocity(t, t, ts);
  };
  val GetVelocity(const val& sample, const val& noise, const val& timesteps) const
    requires kHasGetVelocity
  {
    return TableOp(sample, "sample", noise, timesteps, &S::GetVelocity);
  }

  // DPM-Solver++: sigma at each inference timestep, then the final sigma.
  static constexpr bool kHasSigmas = requires(const S& s) { s.sigmas(); };
  val Sigmas() const
    requires kHasSigmas
  {
    return s_ ? Float32ArrayFrom(s_->sigmas().data(), s_->sigmas().size()) : val::null();
  }

  static void Bind(const char* name) {
    auto cls = emscripten::class_<SchedulerHandle<S>>(name);
    cls.template constructor<>()
        .function("configure", &SchedulerHandle<S>::Configure)
        .function("configJson", &SchedulerHandle<S>::ConfigJson)
        .function("betas", &SchedulerHandle<S>::Betas)
        .function("alphasCumprod", &SchedulerHandle<S>::AlphasCumprod)
        .function("timesteps", &SchedulerHandle<S>::Timesteps)
        .function("setTimesteps", &SchedulerHandle<S>::SetTimesteps)
        .function("manualSeed", &SchedulerHandle<S>::ManualSeed);
    // Each scheduler's step as its core has it; add_noise only where diffusers has one (RePaint has none).
    if constexpr (kHasStandardStep) cls.function("step", &SchedulerHandle<S>::Step);
    if constexpr (kIsRePaint) {
      cls.function("step", &SchedulerHandle<S>::RePaintStep)
          .function("undoStep", &SchedulerHandle<S>::UndoStep)
          .function("setTimestepsJumps", &SchedulerHandle<S>::SetTimestepsJumps)
          .function("undoDraws", &SchedulerHandle<S>::UndoDraws);
    }
    if constexpr (kIsInverse) cls.function("step", &SchedulerHandle<S>::InverseStep);
    if constexpr (kHasAddNoise) cls.function("addNoise", &SchedulerHandle<S>::AddNoise);
    // diffusers' DPMSolverMultistepScheduler has no get_velocity; bind it where the core has it.
    if constexpr (kHasGetVelocity) cls.function("getVelocity", &SchedulerHandle<S>::GetVelocity);
    if constexpr (kHasSigmas) cls.function("sigmas", &SchedulerHandle<S>::Sigmas);
  }

 private:
  using TableFn = Expected<Tensor> (S::*)(const Tensor&, const Tensor&, const std::vector<int64_t>&) const;

  bool Configured() const { return s_.has_value(); }

  // What every step binding reads: the scheduler configured, its tensor arguments (in order, into *t), and
  // options.noise (a Tensor, copied into *noise) or, when absent, this handle's seeded stream.
  Status ReadStep(std::initializer_list<std::pair<val, const char*>> tensors, const val& options, std::vector<Tensor>* t,
                  StepOptions* opts, Tensor* noise) {
    if (!Configured()) return InvalidArgument(NotConfigured());
    DDPM_RETURN_IF_ERROR(TensorsFromJs(tensors, t));
    opts->rng = &rng_;
    if (options.isUndefined() || options.isNull() || options["noise"].isUndefined() || options["noise"].isNull())
      return Status::Ok();
    DDPM_ASSIGN_OR_RETURN(*noise, TensorFromJs(options["noise"], "noise"));
    opts->noise = noise;
    return Status::Ok();
  }

  static val StepResult(const Expected<StepOutput>& out) {
    if (!out.ok()) return ErrorValue(out.status());
    val result = val::object();
    result.set("prevSample", TensorToJs(out->prev_sample));
    result.set("predOriginalSample", TensorToJs(out->pred_original_sample));
    return result;
  }
  static std::string NotConfigured() { return "scheduler is not configured"; }

  val TableOp(const val& a, const char* a_name, const val& noise, const val& timesteps, TableFn fn) const {
    if (!Configured()) return ErrorValue(InvalidArgument(NotConfigured()));
    Expected<Tensor> x = TensorFromJs(a, a_name);
    if (!x.ok()) return ErrorValue(x.status());
    Expected<Tensor> n = TensorFromJs(noise, "noise");
    if (!n.ok()) return ErrorValue(n.status());
    Expected<std::vector<int64_t>> t = IntsFromJs(timesteps, "timesteps");
    if (!t.ok()) return ErrorValue(t.status());
    Expected<Tensor> out = ((*s_).*fn)(*x, *n, *t);
    if (!out.ok()) return ErrorValue(out.status());
    return TensorToJs(*out);
  }

  std::optional<S> s_;
  PhiloxRng rng_;
};

}  // namespace ddpm::wasm
