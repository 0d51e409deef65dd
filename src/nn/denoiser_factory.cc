#include "nn/denoiser_factory.h"

#include <string>
#include <utility>
#include <vector>

#include "nn/train/unet2d_trainable.h"

namespace ddpm {

namespace {

struct DenoiserClass {
  DenoiserKind kind;
  const char* class_name;
  const char* library;
};

// Every class a config.json may name, the default (absent _class_name) first.
constexpr DenoiserClass kClasses[] = {
    {DenoiserKind::kUNet2DModel, "UNet2DModel", "diffusers"},
    {DenoiserKind::kToyMLPDenoiser, "ToyMLPDenoiser", "ddpm_wasm"},
};

const DenoiserClass& ClassOf(DenoiserKind kind) {
  for (const DenoiserClass& c : kClasses)
    if (c.kind == kind) return c;
  return kClasses[0];  // unreachable: every kind has a row
}

}  // namespace

const char* DenoiserClassName(DenoiserKind kind) { return ClassOf(kind).class_name; }
const char* DenoiserLibrary(DenoiserKind kind) { return ClassOf(kind).library; }

Expected<DenoiserKind> ReadDenoiserKind(const JsonConfig& config) {
  std::vector<std::string> names;
  for (const DenoiserClass& c : kClasses) names.push_back(c.class_name);
  std::string name = names[0];
  DDPM_RETURN_IF_ERROR(config.GetEnum("_class_name", names, &name));
  for (const DenoiserClass& c : kClasses)
    if (name == c.class_name) return c.kind;
  return config.Error("_class_name", "value '" + name + "' names no denoiser");  // unreachable: GetEnum checked it
}

Expected<std::unique_ptr<TrainableDenoiser>> MakeTrainableDenoiser(const JsonConfig& config, const SafeTensors* weights,
                                                                   uint64_t seed) {
  DDPM_ASSIGN_OR_RETURN(DenoiserKind kind, ReadDenoiserKind(config));
  std::unique_ptr<TrainableDenoiser> model;
  switch (kind) {
    case DenoiserKind::kUNet2DModel: {
      if (weights) {
        DDPM_ASSIGN_OR_RETURN(model, nn::train::UNet2DTrainable::Create(config, *weights));
      } else {
        DDPM_ASSIGN_OR_RETURN(model, nn::train::UNet2DTrainable::FromConfig(config, seed));
      }
      return model;
    }
    case DenoiserKind::kToyMLPDenoiser: {
      if (weights) {
        DDPM_ASSIGN_OR_RETURN(ToyMlp toy, ToyMlp::FromFiles(config, *weights));
        model = std::make_unique<ToyMlp>(std::move(toy));
      } else {
        DDPM_ASSIGN_OR_RETURN(ToyMlpConfig c, ToyMlpConfig::FromJson(config));
        model = std::make_unique<ToyMlp>(ToyMlp::Create(c, seed));
      }
      return model;
    }
  }
  return InvalidArgument("unhandled denoiser kind");  // unreachable: the switch covers every kind
}

Expected<LoadedDenoiser> LoadDenoiser(const JsonConfig& config, const SafeTensors& weights) {
  LoadedDenoiser m;
  DDPM_ASSIGN_OR_RETURN(m.kind, ReadDenoiserKind(config));
  switch (m.kind) {
    case DenoiserKind::kUNet2DModel: {
      DDPM_ASSIGN_OR_RETURN(m.unet, nn::UNet2DModel::Create(config, weights));
      return m;
    }
    case DenoiserKind::kToyMLPDenoiser: {
      DDPM_ASSIGN_OR_RETURN(ToyMlp toy, ToyMlp::FromFiles(config, weights));
      m.toy = std::make_unique<ToyMlp>(std::move(toy));
      return m;
    }
  }
  return InvalidArgument("unhandled denoiser kind");  // unreachable: the switch covers every kind
}

}  // namespace ddpm
