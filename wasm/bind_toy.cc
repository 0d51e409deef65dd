// The toy 2-D MLP for JS (web/src/toy.js): create with fresh weights or load (config.json,
// safetensors bytes), sample points with the schedulers of sample(), and the toy point sets that
// `ddpm train --data toy2d:NAME` trains on. Conversions only; the model is src/nn/toy_mlp.h.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/bind.h>

#include "base/thread_pool.h"
#include "diffusion/toy_sampling.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "js_convert.h"
#include "nn/toy_mlp.h"
#include "sample_options.h"
#include "train/datasets.h"

namespace ddpm::wasm {
namespace {

class ToyHandle {
 public:
  // Fresh weights (torch.nn.Linear's init) from config.json text and a seed. "" or the core's message.
  std::string Create(const std::string& config_json, double seed) {
    Expected<JsonConfig> cfg = JsonConfig::Parse(config_json, "toy config");
    if (!cfg.ok()) return cfg.status().message();
    Expected<ToyMlpConfig> c = ToyMlpConfig::FromJson(*cfg);
    if (!c.ok()) return c.status().message();
    model_ = std::make_unique<ToyMlp>(ToyMlp::Create(*c, static_cast<uint64_t>(seed)));
    return "";
  }

  // config.json text and diffusion_pytorch_model.safetensors bytes (Uint8Array).
  std::string Load(const std::string& config_json, const val& weights) {
    Expected<JsonConfig> cfg = JsonConfig::Parse(config_json, "config.json");
    if (!cfg.ok()) return cfg.status().message();
    Expected<std::vector<uint8_t>> bytes = BytesFromJs(weights, "weights");
    if (!bytes.ok()) return bytes.status().message();
    Expected<SafeTensors> st = SafeTensors::FromBytes(std::move(bytes).value(), "diffusion_pytorch_model.safetensors");
    if (!st.ok()) return st.status().message();
    Expected<ToyMlp> m = ToyMlp::FromFiles(*cfg, *st);
    if (!m.ok()) return m.status().message();
    model_ = std::make_unique<ToyMlp>(std::move(m).value());
    return "";
  }

  // Points [numImages, dataDim] from N(0, I) through the reverse process; options and on_step as the
  // UNet's sample() (sample_options.h), without classes.
  val Sample(const std::string& scheduler_json, const val& options, const val& on_step) {
    if (!model_) return ErrorValue(InvalidArgument(NotLoaded()));
    Expected<JsonConfig> sched = JsonConfig::Parse(scheduler_json, "scheduler config");
    if (!sched.ok()) return ErrorValue(sched.status());
    SampleOptions so;
    Tensor latents;
    if (Status st = SampleOptionsFromJs(options, on_step, &so, &latents); !st.ok()) return ErrorValue(st);
    Expected<Tensor> points = SampleToy(model_.get(), *sched, so, &pool_);
    if (!points.ok()) return ErrorValue(points.status());
    return TensorToJs(*points);
  }

  std::string ConfigJson() const { return model_ ? model_->config().ToJson() : "{}"; }

  // The model's files (config.json text, safetensors bytes), for Trainer.create to start from.
  val Files() const {
    if (!model_) return ErrorValue(InvalidArgument(NotLoaded()));
    Expected<ModelFiles> files = model_->SerializeModel();
    if (!files.ok()) return ErrorValue(files.status());
    val out = val::object();
    out.set("config", files->config_json);
    out.set("weights", Uint8ArrayFrom(files->weights));
    return out;
  }

  // {dataDim, hidden, numHiddenLayers, timeEmbedDim, numParameters}, or null before create/load.
  val Info() const {
    if (!model_) return val::null();
    const ToyMlpConfig& c = model_->config();
    val out = val::object();
    out.set("dataDim", c.data_dim);
    out.set("hidden", c.hidden);
    out.set("numHiddenLayers", c.num_hidden_layers);
    out.set("timeEmbedDim", c.time_embed_dim);
    out.set("numParameters", static_cast<double>(CountParameters(model_->Parameters())));
    return out;
  }

 private:
  static std::string NotLoaded() { return "ToyMLPDenoiser is not created or loaded"; }

  std::unique_ptr<ToyMlp> model_;
  ThreadPool pool_{1};  // the MLP is too small to gain from threads
};

// `count` points [count, 2] of the set `name` (swissroll, moons, gaussians), deterministic for a seed.
val ToyDataset(const std::string& name, double count, double seed) {
  Expected<Toy2DKind> kind = ParseToy2DKind(name);
  if (!kind.ok()) return ErrorValue(kind.status());
  if (!(count >= 1 && count <= (1 << 24))) return ErrorValue(InvalidArgument("toyDataset: count must be in 1..16777216"));
  const int64_t n = static_cast<int64_t>(count);
  const std::vector<float> points = MakeToy2D(*kind, n, static_cast<uint64_t>(seed));
  return TensorToJs(points.data(), {n, 2});
}

}  // namespace
}  // namespace ddpm::wasm

EMSCRIPTEN_BINDINGS(ddpm_toy) {
  using ddpm::wasm::ToyHandle;
  emscripten::class_<ToyHandle>("ToyMLPDenoiser")
      .constructor<>()
      .function("create", &ToyHandle::Create)
      .function("load", &ToyHandle::Load)
      .function("sample", &ToyHandle::Sample)
      .function("configJson", &ToyHandle::ConfigJson)
      .function("files", &ToyHandle::Files)
      .function("info", &ToyHandle::Info);
  emscripten::function("toyDataset", &ddpm::wasm::ToyDataset);
}
