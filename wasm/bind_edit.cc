// The editing pipelines for JS (src/diffusion/editing.h, the same calls as `ddpm inpaint`, `img2img`,
// `invert` and `interpolate`), and pictures (PNG bytes or canvas pixels) fitted to a model's input as
// the CLI fits its PNGs. Conversions only; web/src/editing.js checks types and wraps the results.
#include <optional>
#include <string>

#include <emscripten/bind.h>

#include "diffusion/editing.h"
#include "diffusion/unet_sampling.h"
#include "io/image_fit.h"
#include "io/json_config.h"
#include "io/png.h"
#include "js_convert.h"
#include "sample_options.h"
#include "unet_handle.h"

namespace ddpm::wasm {
namespace {

// What every pipeline binding starts with: the model loaded, the scheduler config parsed, the image read,
// the shared options (labels checked against the model, its null class for guidance) read.
struct EditCall {
  JsonConfig scheduler{nlohmann::json::object(), ""};
  Tensor image;
};

Expected<EditCall> StartEdit(UNetHandle& unet, const std::string& scheduler_json, const val& image, const val& options,
                             const val& on_step, EditOptions* eo) {
  if (!unet.model()) return InvalidArgument(NotLoaded());
  EditCall call;
  DDPM_ASSIGN_OR_RETURN(call.scheduler, JsonConfig::Parse(scheduler_json, "scheduler config"));
  DDPM_ASSIGN_OR_RETURN(call.image, TensorFromJs(image, "image"));
  DDPM_RETURN_IF_ERROR(EditOptionsFromJs(options, on_step, eo));
  DDPM_RETURN_IF_ERROR(CheckEditClasses(unet.classes(), eo));
  return call;
}

val Result(const Expected<Tensor>& x) { return x.ok() ? TensorToJs(*x) : ErrorValue(x.status()); }

// options: {classLabels?, guidanceScale?, seed?, steps?, jumpLength?, jumpNSample?, eta?, noiseDraws?, samplingDefaults?}.
val Inpaint(UNetHandle& unet, const std::string& scheduler_json, const val& image, const val& mask, const val& options,
            const val& on_step) {
  InpaintOptions o;
  Expected<EditCall> call = StartEdit(unet, scheduler_json, image, options, on_step, &o);
  if (!call.ok()) return ErrorValue(call.status());
  Expected<Tensor> m = TensorFromJs(mask, "mask");
  if (!m.ok()) return ErrorValue(m.status());
  // RePaint's schedule: the caller's values, else the model's (samplingDefaults' "inpaint"), else diffusers'.
  Expected<SamplingDefaults> model_defaults = ModelSamplingDefaults(options);
  if (!model_defaults.ok()) return ErrorValue(model_defaults.status());
  auto given = [&](const char* key) { return options[key].isNumber() ? std::optional<int>(options[key].as<int>()) : std::nullopt; };
  const InpaintSchedule schedule =
      ResolveInpaint(*model_defaults, given("steps"), given("jumpLength"), given("jumpNSample"));
  o.steps = schedule.steps;
  o.jump_length = schedule.jump_length;
  o.jump_n_sample = schedule.jump_n_sample;
  ReadNumber(options, "eta", &o.eta);
  Tensor draws;
  if (!options["noiseDraws"].isUndefined() && !options["noiseDraws"].isNull()) {
    Expected<Tensor> d = TensorFromJs(options["noiseDraws"], "noiseDraws");
    if (!d.ok()) return ErrorValue(d.status());
    draws = std::move(d).value();
    o.noise_draws = &draws;
  }
  return Result(ddpm::Inpaint(UNetNoisePredictor(unet.model(), unet.pool()), call->image, *m, call->scheduler, o));
}

// The sampler settings of an image-to-image run: options.{scheduler, steps, eta, guidanceScale, guidanceInterval}
// where given, else the model's sampling defaults (options.samplingDefaults), as sample() resolves them.
Status ImageToImageSampling(const val& options, ImageToImageOptions* o) {
  DDPM_ASSIGN_OR_RETURN(SamplingDefaults use, SamplingFromJs(options));
  o->scheduler = use.scheduler;
  o->steps = use.steps;
  o->eta = use.eta;
  o->guidance_scale = use.guidance_scale;
  o->guidance_interval = use.guidance_interval;
  ReadNumber(options, "strength", &o->strength);
  return Status::Ok();
}

// options: {strength, scheduler?, steps?, eta?, classLabels?, guidanceScale?, guidanceInterval?, seed?,
// samplingDefaults?}.
val ImageToImage(UNetHandle& unet, const std::string& scheduler_json, const val& image, const val& options,
                 const val& on_step) {
  ImageToImageOptions o;
  if (Status st = ImageToImageSampling(options, &o); !st.ok()) return ErrorValue(st);
  Expected<EditCall> call = StartEdit(unet, scheduler_json, image, options, on_step, &o);
  if (!call.ok()) return ErrorValue(call.status());
  return Result(ddpm::ImageToImage(UNetNoisePredictor(unet.model(), unet.pool()), call->image, call->scheduler, o));
}

// The timestep imageToImage with these options starts from: a number, or {error}.
val ImageToImageStartTimestep(const std::string& scheduler_json, const val& options) {
  Expected<JsonConfig> sched = JsonConfig::Parse(scheduler_json, "scheduler config");
  if (!sched.ok()) return ErrorValue(sched.status());
  ImageToImageOptions o;
  if (Status st = ImageToImageSampling(options, &o); !st.ok()) return ErrorValue(st);
  Expected<int64_t> t = ddpm::ImageToImageStartTimestep(*sched, o.scheduler, o.steps, o.strength);
  return t.ok() ? val(static_cast<double>(*t)) : ErrorValue(t.status());
}

// options: {classLabels?, steps?}; the result is x_T.
val Invert(UNetHandle& unet, const std::string& scheduler_json, const val& image, const val& options, const val& on_step) {
  InvertOptions o;
  Expected<EditCall> call = StartEdit(unet, scheduler_json, image, options, on_step, &o);
  if (!call.ok()) return ErrorValue(call.status());
  double steps = o.steps;
  ReadNumber(options, "steps", &steps);
  o.steps = int(steps);
  return Result(ddpm::Invert(UNetNoisePredictor(unet.model(), unet.pool()), call->image, call->scheduler, o));
}

val Slerp(const val& a, const val& b, double t) {
  Expected<Tensor> x = TensorFromJs(a, "a");
  if (!x.ok()) return ErrorValue(x.status());
  Expected<Tensor> y = TensorFromJs(b, "b");
  if (!y.ok()) return ErrorValue(y.status());
  return Result(ddpm::Slerp(*x, *y, t));
}

// A picture as a model's input: picture is {png: Uint8Array} or {rgba: Uint8Array, width, height} (a canvas's
// ImageData); `mask` reads it as a mask (grey, split at 0.5: white = keep). Returns {tensor, note} (note: what the
// fitting did, "" when the picture already had the model's size) or {error}.
val FitPicture(const val& picture, int channels, int height, int width, bool mask) {
  const int decode_channels = mask ? 1 : (channels == 1 || channels == 3 ? channels : 0);
  Expected<Tensor> nhwc = Tensor();
  if (!picture["png"].isUndefined()) {
    Expected<std::vector<uint8_t>> bytes = BytesFromJs(picture["png"], "picture");
    if (!bytes.ok()) return ErrorValue(bytes.status());
    nhwc = DecodePng(bytes->data(), bytes->size(), "picture", decode_channels);
  } else {
    Expected<std::vector<uint8_t>> rgba = BytesFromJs(picture["rgba"], "picture pixels");
    if (!rgba.ok()) return ErrorValue(rgba.status());
    nhwc = DecodeRgba8(rgba->data(), rgba->size(), picture["width"].as<int>(), picture["height"].as<int>(),
                       "picture pixels", decode_channels);
  }
  if (!nhwc.ok()) return ErrorValue(nhwc.status());
  std::string note;
  Expected<Tensor> x = mask ? FitMask(*nhwc, height, width, &note) : FitModelImage(*nhwc, channels, height, width, &note);
  if (!x.ok()) return ErrorValue(x.status());
  val result = val::object();
  result.set("tensor", TensorToJs(*x));
  result.set("note", note);
  return result;
}

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_edit) {
  emscripten::function("inpaint", &ddpm::wasm::Inpaint);
  emscripten::function("imageToImage", &ddpm::wasm::ImageToImage);
  emscripten::function("imageToImageStartTimestep", &ddpm::wasm::ImageToImageStartTimestep);
  emscripten::function("invert", &ddpm::wasm::Invert);
  emscripten::function("slerp", &ddpm::wasm::Slerp);
  emscripten::function("fitPicture", &ddpm::wasm::FitPicture);
}
