// UNet2DModel for JS: load from (config.json, safetensors bytes), forward, config and info. Conversions
// only; the model is src/nn/unet2d_model.h.
#include <utility>
#include <vector>

#include <emscripten/bind.h>

#include "io/json_config.h"
#include "io/safetensors.h"
#include "js_convert.h"
#include "unet_handle.h"

namespace ddpm::wasm {

std::string NotLoaded() { return "UNet2DModel is not loaded"; }

std::string UNetHandle::Load(const std::string& config_json, const val& weights, int threads) {
  Expected<JsonConfig> cfg = JsonConfig::Parse(config_json, "config.json");
  if (!cfg.ok()) return cfg.status().message();
  Expected<UNetClasses> classes = ReadUNetClasses(*cfg);
  if (!classes.ok()) return classes.status().message();
  Expected<std::vector<uint8_t>> bytes = BytesFromJs(weights, "weights");
  if (!bytes.ok()) return bytes.status().message();
  Expected<SafeTensors> st = SafeTensors::FromBytes(std::move(bytes).value(), "diffusion_pytorch_model.safetensors");
  if (!st.ok()) return st.status().message();
  Expected<std::unique_ptr<nn::UNet2DModel>> m = nn::UNet2DModel::Create(*cfg, *st);
  if (!m.ok()) return m.status().message();
  model_ = std::move(m).value();
  classes_ = *classes;
  pool_ = std::make_unique<ThreadPool>(threads);
  return "";
}

val UNetHandle::Forward(const val& sample, const val& timesteps, const val& class_labels) {
  if (!model_) return ErrorValue(InvalidArgument(NotLoaded()));
  Expected<Tensor> x = TensorFromJs(sample, "sample");
  if (!x.ok()) return ErrorValue(x.status());
  Expected<std::vector<int64_t>> t = IntsFromJs(timesteps, "timesteps");
  if (!t.ok()) return ErrorValue(t.status());
  Expected<std::vector<int64_t>> labels = OptionalIntsFromJs(class_labels, "classLabels");
  if (!labels.ok()) return ErrorValue(labels.status());
  Expected<Tensor> out = model_->Forward(*x, *t, *labels, pool_.get());
  if (!out.ok()) return ErrorValue(out.status());
  return TensorToJs(*out);
}

std::string UNetHandle::ConfigJson() const {
  if (!model_) return "{}";
  nlohmann::json j = model_->config().ToJson();
  if (classes_.null_class >= 0) j["null_class_index"] = classes_.null_class;
  return j.dump();
}

val UNetHandle::Info() const {
  if (!model_) return val::null();
  const nn::UNet2DConfig& c = model_->config();
  const bool sized = c.sample_height > 0;
  val out = val::object();
  val size = val::array();
  size.call<void>("push", c.sample_height);
  size.call<void>("push", c.sample_width);
  out.set("sampleSize", sized ? size : val::null());
  out.set("inChannels", c.in_channels);
  out.set("outChannels", c.out_channels);
  out.set("numClassEmbeds", c.num_class_embeds ? val(*c.num_class_embeds) : val::null());
  out.set("nullClassIndex", classes_.null_class >= 0 ? val(static_cast<double>(classes_.null_class)) : val::null());
  out.set("numParameters", static_cast<double>(model_->num_parameters()));
  out.set("flopsPerImage", sized ? val(model_->FlopsPerImage(c.sample_height, c.sample_width)) : val::null());
  return out;
}

}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_unet) {
  using ddpm::wasm::UNetHandle;
  emscripten::class_<UNetHandle>("UNet2DModel")
      .constructor<>()
      .function("load", &UNetHandle::Load)
      .function("forward", &UNetHandle::Forward)
      .function("configJson", &UNetHandle::ConfigJson)
      .function("info", &UNetHandle::Info);
}
