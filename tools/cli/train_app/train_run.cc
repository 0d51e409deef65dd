#include "train_app/train_run.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/thread_pool.h"
#include "diffusion/pipeline.h"
#include "diffusion/scheduling_ddpm.h"
#include "io/canvas.h"
#include "io/file_util.h"
#include "io/image_grid.h"
#include "io/png.h"
#include "io/safetensors_convert.h"
#include "nn/denoiser_factory.h"
#include "nn/toy_mlp.h"
#include "nn/unet_config.h"
#include "train/default_configs.h"
#include "train_app/loss_log.h"
#include "train/pipeline_export.h"
#include "train/trainer.h"
#include "train/training_data.h"

namespace ddpm {

namespace {

namespace fs = std::filesystem;

struct ModelSpec {
  std::unique_ptr<TrainableDenoiser> model;
  DenoiserKind kind = DenoiserKind::kUNet2DModel;  // model_index.json's library and class
  int64_t null_class = -1;  // the label used for unconditional predictions, -1 if unlabelled
};

// The model a run trains, from --config's config.json or else the default for the data (the toy MLP for
// 2-D points, a UNet2DModel for images), built by the denoiser factory, which tells the classes apart.
Expected<ModelSpec> MakeModel(const TrainingData& data, const std::string& config_path, uint64_t seed) {
  const Shape& shape = data.example_shape();
  const DenoiserKind wanted = data.is_toy() ? DenoiserKind::kToyMLPDenoiser : DenoiserKind::kUNet2DModel;
  std::string text, source;
  if (config_path.empty()) {
    text = data.is_toy() ? ToyMlpConfig().ToJson()
                         : DefaultUNetConfigJson(int(shape[0]), int(shape[1]), data.num_classes());
    source = data.is_toy() ? "default toy MLP config" : "default UNet config";
  } else {
    DDPM_ASSIGN_OR_RETURN(text, ReadFileText(config_path));
    source = config_path;
  }
  DDPM_ASSIGN_OR_RETURN(JsonConfig cfg, JsonConfig::Parse(text, source));
  ModelSpec spec;
  DDPM_ASSIGN_OR_RETURN(spec.kind, ReadDenoiserKind(cfg));
  if (spec.kind != wanted)
    return InvalidArgument(source + ": a " + DenoiserClassName(spec.kind) + " config, but " +
                           (data.is_toy() ? "2-D point data" : "image data") + " trains a " + DenoiserClassName(wanted));
  DDPM_ASSIGN_OR_RETURN(spec.model, MakeTrainableDenoiser(cfg, /*weights=*/nullptr, seed));
  if (data.is_toy()) return spec;

  // Images: labelled data trains class-conditionally with one extra "null" label (index num_classes)
  // that label dropout teaches to be the unconditional model.
  DDPM_ASSIGN_OR_RETURN(nn::UNet2DConfig c, nn::UNet2DConfig::FromJson(cfg));
  if (c.in_channels != shape[0] || c.out_channels != shape[0] || c.sample_height != shape[1] || c.sample_width != shape[2])
    return InvalidArgument(source + ": the model takes " + std::to_string(c.in_channels) + "x" +
                           std::to_string(c.sample_height) + "x" + std::to_string(c.sample_width) + " images, the data has " +
                           ShapeToString(shape));
  const int64_t classes = data.num_classes(), embeds = c.num_class_embeds.value_or(0);
  if (classes > 0 && embeds != classes && embeds != classes + 1)
    return InvalidArgument(source + ": num_class_embeds " + std::to_string(embeds) + " must be " + std::to_string(classes) +
                           " (no guidance) or " + std::to_string(classes + 1) + " (with a null class for guidance)");
  if (classes == 0 && embeds > 0) return InvalidArgument(source + ": num_class_embeds is set but the data has no labels");
  spec.null_class = embeds == classes + 1 && classes > 0 ? classes : -1;
  // A config that names its null class (a trained model's unet/config.json does) must name that one.
  if (c.null_class_index && *c.null_class_index != spec.null_class)
    return InvalidArgument(source + ": null_class_index " + std::to_string(*c.null_class_index) + " must be " +
                           std::to_string(classes) + " (the label after the data's " + std::to_string(classes) +
                           " classes, with num_class_embeds " + std::to_string(classes + 1) + ")");
  return spec;
}

std::string StepName(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step_%07lld.png", static_cast<long long>(step));
  return buf;
}

}  // namespace

Status RunTraining(const TrainRunOptions& o) {
  if (o.out_dir.empty()) return InvalidArgument("--out is required");
  if (o.steps < 1) return InvalidArgument("--steps must be at least 1, got " + std::to_string(o.steps));
  if (o.batch_size < 1 || o.batch_size > 4096) return InvalidArgument("--batch-size must be in 1..4096");
  if (o.threads < 1) return InvalidArgument("--threads must be at least 1");
  if (!(o.ema_decay >= 0 && o.ema_decay < 1)) return InvalidArgument("--ema-decay must be in [0, 1)");
  if (o.lr_schedule != "cosine" && o.lr_schedule != "constant")
    return InvalidArgument("--lr-schedule must be cosine or constant, got '" + o.lr_schedule + "'");
  if (!(o.min_snr_gamma >= 0)) return InvalidArgument("--min-snr-gamma must be >= 0 (0 = off)");
  DDPM_ASSIGN_OR_RETURN(DType export_dtype, ParseFloatDType(o.export_dtype, "--export-dtype"));

  DDPM_ASSIGN_OR_RETURN(TrainingData data, TrainingData::FromSpec(o.data, o.seed));
  DDPM_ASSIGN_OR_RETURN(ModelSpec spec, MakeModel(data, o.model_config, o.seed));
  const std::string ckpt = JoinPath(o.out_dir, "checkpoint.safetensors");
  if (!o.resume && FileExists(ckpt))
    return InvalidArgument(o.out_dir + " already holds a training checkpoint; pass --resume to continue it or choose another --out");
  if (o.resume && !FileExists(ckpt)) return NotFound(ckpt + ": nothing to resume");
  std::error_code ec;
  for (const char* sub : {"", "unet", "scheduler", "samples"}) {
    fs::create_directories(JoinPath(o.out_dir, sub), ec);
    if (ec) return IoError(JoinPath(o.out_dir, sub) + ": cannot create (" + ec.message() + ")");
  }

  DDPMSchedulerConfig sched_cfg;  // DDPM's linear schedule over 1000 steps, ε-prediction
  sched_cfg.clip_sample = !data.is_toy();
  DDPM_ASSIGN_OR_RETURN(DDPMScheduler scheduler, DDPMScheduler::FromConfig(sched_cfg));

  TrainOptions to;
  to.lr = o.lr > 0 ? o.lr : (data.is_toy() ? 1e-3 : 5e-4);
  to.total_steps = o.lr_schedule == "cosine" ? o.steps : 0;
  to.min_snr_gamma = o.min_snr_gamma;
  to.warmup_steps = o.warmup_steps >= 0 ? o.warmup_steps : std::min<int64_t>(500, o.steps / 10);
  to.ema.decay = o.ema_decay;
  to.ema.use_ema_warmup = true;
  to.seed = o.seed;
  if (spec.null_class >= 0) {
    to.label_dropout = o.label_dropout;
    to.null_class = spec.null_class;
  }
  ThreadPool pool(o.threads);
  Trainer trainer(spec.model.get(), scheduler, to, &pool);
  BatchSampler sampler = BatchSampler::ForTraining(data.count(), o.seed);
  LossLog log;
  if (o.resume) {
    std::map<std::string, std::string> extra;
    DDPM_RETURN_IF_ERROR(trainer.LoadCheckpoint(ckpt, &extra));
    if (extra["data"] != o.data)
      return InvalidArgument(ckpt + ": was trained on --data " + extra["data"] + ", not " + o.data);
    // What shapes the optimisation must match, or the resumed run is not the run it continues.
    // (Checkpoints from before these were recorded say nothing, and are taken as they are.)
    auto same = [&](const std::string& key, const std::string& now, const std::string& flag,
                    const std::string& why) -> Status {
      if (extra.count(key) && extra[key] != now)
        return InvalidArgument(ckpt + ": was trained with " + flag + " " + extra[key] + ", not " + now + why);
      return Status::Ok();
    };
    DDPM_RETURN_IF_ERROR(same("batch_size", std::to_string(o.batch_size), "--batch-size", ""));
    DDPM_RETURN_IF_ERROR(same("lr_schedule", o.lr_schedule, "--lr-schedule", ""));
    if (o.lr_schedule == "cosine")
      DDPM_RETURN_IF_ERROR(same("steps", std::to_string(o.steps), "--steps",
                                " (the cosine schedule decays to 0 at the step count it was laid out for; "
                                "--lr-schedule constant runs can be extended)"));
    sampler.Seek(std::stoll(extra["epoch"]), std::stoll(extra["cursor"]));
    DDPM_RETURN_IF_ERROR(log.Load(JoinPath(o.out_dir, "loss.csv"), trainer.step()));
  }

  auto export_pipeline = [&]() -> Status {
    const PipelineExportOptions eo{DenoiserLibrary(spec.kind), DenoiserClassName(spec.kind), spec.null_class,
                                   export_dtype};
    DDPM_ASSIGN_OR_RETURN(PipelineFiles files, ExportPipeline(trainer, eo));
    return WritePipelineFiles(o.out_dir, files);
  };
  auto checkpoint = [&]() -> Status {
    DDPM_RETURN_IF_ERROR(trainer.SaveCheckpoint(ckpt, {{"data", o.data},
                                                       {"epoch", std::to_string(sampler.epoch())},
                                                       {"cursor", std::to_string(sampler.cursor())},
                                                       {"batch_size", std::to_string(o.batch_size)},
                                                       {"lr_schedule", o.lr_schedule},
                                                       {"steps", std::to_string(o.steps)}}));
    DDPM_RETURN_IF_ERROR(log.Save(o.out_dir));
    return export_pipeline();
  };
  auto preview = [&]() -> Status {
    trainer.SwapEmaIntoModel();
    NoisePredictor predict = [&](const Tensor& x, int64_t t, const std::vector<int64_t>& labels, Tensor* out) {
      std::vector<float> ts(static_cast<size_t>(x.dim(0)), static_cast<float>(t));
      if (data.is_toy()) {
        Tensor flat = x.Reshaped({x.dim(0), x.dim(1)});
        Tensor y;
        DDPM_RETURN_IF_ERROR(spec.model->ForwardTrain(flat, ts, labels, &y, &pool));
        *out = y.Reshaped(x.shape());
        return Status::Ok();
      }
      return spec.model->ForwardTrain(x, ts, labels, out, &pool);
    };
    SampleOptions so;
    so.scheduler = "ddim";
    so.steps = 50;
    so.seed = 1234;  // the same noise at every preview, so the pictures show the model change
    Shape shape = data.example_shape();
    if (data.is_toy()) shape = {2, 1, 1};
    so.num_images = data.is_toy() ? 1000 : 16;
    if (spec.null_class > 0) {
      for (int i = 0; i < so.num_images; ++i) so.class_labels.push_back(i % spec.null_class);
      so.guidance_scale = 2.0;
      so.null_class = spec.null_class;
    }
    JsonConfig sched_config(scheduler.config().ToJson(), "scheduler_config.json");
    Expected<Tensor> samples = Sample(predict, shape, sched_config, so);
    trainer.SwapEmaIntoModel();
    if (!samples.ok()) return samples.status();
    const std::string path = JoinPath(JoinPath(o.out_dir, "samples"), StepName(trainer.step()));
    if (data.is_toy()) {
      const std::vector<float> shown(data.toy_points().begin(), data.toy_points().begin() + 2000);
      std::vector<float> pts(samples->data(), samples->data() + samples->size());
      const std::string title = "step " + std::to_string(trainer.step()) + ": samples (blue), the data (grey)";
      return WritePng(path, PlotScatter({shown, pts}, {{190, 190, 190}, {31, 119, 180}}, 3.0f, 400, title));
    }
    DDPM_ASSIGN_OR_RETURN(ImageU8 grid, MakeImageGrid(*samples, {.cols = 8, .minus_one_to_one = true}));
    return WritePng(path, grid);
  };

  std::vector<int64_t> indices;
  std::vector<int64_t> labels;
  Tensor x0;
  auto t0 = std::chrono::steady_clock::now();
  int64_t steps_timed = 0;
  while (trainer.step() < o.steps) {
    sampler.Next(o.batch_size, &indices);
    data.Gather(indices, &x0, &labels);
    DDPM_ASSIGN_OR_RETURN(StepStats s, trainer.Step(x0, labels));
    log.step.push_back(trainer.step());
    log.loss.push_back(s.loss);
    log.grad_norm.push_back(s.grad_norm);
    log.lr.push_back(s.lr);
    ++steps_timed;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    TrainProgress p{trainer.step(), o.steps, s.loss, s.grad_norm, s.lr, double(steps_timed * o.batch_size) / secs, nullptr};
    if (o.on_progress) o.on_progress(p);
    const bool last = trainer.step() == o.steps;
    const bool stopping = o.stop && o.stop->load();
    if (last || stopping || trainer.step() % o.checkpoint_every == 0) {
      DDPM_RETURN_IF_ERROR(checkpoint());
      p.event = "checkpoint";
      if (o.on_progress) o.on_progress(p);
    }
    if (stopping) return Cancelled("stopped at step " + std::to_string(trainer.step()) + "; continue with --resume");
    if (last || trainer.step() % o.sample_every == 0) {
      DDPM_RETURN_IF_ERROR(preview());
      p.event = "sample";
      if (o.on_progress) o.on_progress(p);
      t0 = std::chrono::steady_clock::now();  // previews are not training throughput
      steps_timed = 0;
    }
  }
  return Status::Ok();
}

}  // namespace ddpm
