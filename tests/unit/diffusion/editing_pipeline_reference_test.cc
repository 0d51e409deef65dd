// The editing pipelines on unet_tiny against diffusers v0.31.0 (shared/reference repaint_pipeline.*,
// inversion.*), plus what the references cannot show: ImageToImage's start, cancellation, Slerp.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "diffusion/editing.h"
#include "diffusion/pipeline.h"
#include "diffusion/unet_sampling.h"
#include "unit/diffusion/scheduler_test_util.h"

using namespace ddpm;
using namespace ddpm::test;

namespace {

std::unique_ptr<nn::UNet2DModel> TinyUNet() {
  auto unet = nn::UNet2DModel::FromPretrained(ReferencePath("unet_tiny"));
  INFO(unet.status().message());
  REQUIRE(unet.ok());
  return std::move(unet).value();
}

// Prints one line per reference tensor, as the scheduler tests do.
void CheckTensor(const Tensor& got, const Tensor& want, double atol, double rtol, const std::string& what) {
  ErrorRecord err;
  err.Check(got, want, atol, rtol, what);
  err.Print(what);
}

}  // namespace

TEST_CASE("Inpaint replays RePaintPipeline on unet_tiny", "[diffusion][repaint][pipeline][reference]") {
  const nlohmann::json ref = LoadReferenceJson("repaint_pipeline.json");
  const SafeTensors st = LoadReferenceTensors("repaint_pipeline.safetensors");
  auto unet = TinyUNet();
  for (const auto& run : ref["runs"]) {
    const std::string id = run["key"];
    const Tensor noise = Get(st, id + ".noise");
    InpaintOptions o;
    o.steps = run["num_inference_steps"];
    o.jump_length = run["jump_length"];
    o.jump_n_sample = run["jump_n_sample"];
    o.eta = run["eta"];
    o.noise_draws = &noise;
    int calls = 0;
    o.on_step = [&](const StepProgress&) { return ++calls > 0; };
    auto x0 = Inpaint(UNetNoisePredictor(unet.get(), nullptr), Get(st, id + ".original_image"), Get(st, id + ".mask"),
                      ConfigOf(run["scheduler_config"], id), o);
    INFO(id << ": " << x0.status().message());
    REQUIRE(x0.ok());
    CHECK(calls == int(run["timesteps"].size()));
    // README: the UNet of a float32 port is within |a-b| <= 1e-4 + 1e-4|b| of diffusers'; the RePaint
    // arithmetic is bit-exact (scheduler tests), and the known region is re-noised from the original at
    // every step, so the loop does not amplify the UNet's rounding much.
    CheckTensor(*x0, Get(st, id + ".x_0"), 1e-4, 1e-4, "repaint_pipeline " + id + " x_0");
  }
}

TEST_CASE("Invert gives diffusers' x_T on unet_tiny, and DDIM from it the reconstruction",
          "[diffusion][ddim_inverse][pipeline][reference]") {
  const nlohmann::json ref = LoadReferenceJson("inversion.json");
  const SafeTensors st = LoadReferenceTensors("inversion.safetensors");
  auto unet = TinyUNet();
  const JsonConfig cfg = ConfigOf(ref["scheduler_config"], "inversion");
  InvertOptions io;
  io.steps = ref["num_inference_steps"];
  auto x_T = Invert(UNetNoisePredictor(unet.get(), nullptr), Get(st, "x_0"), cfg, io);
  INFO(x_T.status().message());
  REQUIRE(x_T.ok());
  // README "repaint*, ddim_inverse*, inversion*": float32 vs float64 differ by 2.4e-6 on x_T, so
  // compare within about 1e-4 ...
  CheckTensor(*x_T, Get(st, "x_T"), 1e-4, 0.0, "inversion x_T");

  SampleOptions so;
  so.scheduler = "ddim";
  so.steps = io.steps;
  so.num_images = 2;
  so.latents = &*x_T;
  auto back = Sample(UNetNoisePredictor(unet.get(), nullptr), {3, 16, 16}, cfg, so);
  REQUIRE(back.ok());
  // ... and the reconstruction (values up to ~42, 5.0e-4 float32 vs float64) within about 5e-3.
  CheckTensor(*back, Get(st, "reconstruction"), 5e-3, 0.0, "inversion reconstruction");
}

TEST_CASE("ImageToImage starts where strength says, as diffusers' img2img", "[diffusion][pipeline]") {
  const JsonConfig cfg = ConfigOf(nlohmann::json::object(), "default");
  // DDIM 50 steps, leading: 980, 960, ..., 0. strength 1 starts at the first, 0.5 at the 26th.
  CHECK(ImageToImageStartTimestep(cfg, "ddim", 50, 1.0).value() == 980);
  CHECK(ImageToImageStartTimestep(cfg, "ddim", 50, 0.5).value() == 480);
  CHECK(ImageToImageStartTimestep(cfg, "ddpm", 1000, 0.3).value() == 299);
  CHECK_THAT(ImageToImageStartTimestep(cfg, "ddim", 10, 0.05).status().message(), Catch::Contains("no denoising step"));
  CHECK_THAT(ImageToImageStartTimestep(cfg, "ddim", 10, 0.0).status().message(), Catch::Contains("(0, 1]"));

  // With a model that predicts zero noise the run still goes through the loop: the first step is the
  // one strength selects, and init_timestep = int(10 * 0.3) = 3 steps run.
  NoisePredictor zero = [](const Tensor& x, int64_t, const std::vector<int64_t>&, Tensor* out) {
    *out = Tensor(x.shape());
    return Status::Ok();
  };
  Tensor image({1, 1, 4, 4});
  for (size_t i = 0; i < image.size(); ++i) image[i] = 0.5f;
  ImageToImageOptions o;
  o.steps = 10;
  o.strength = 0.3;
  int steps = 0;
  int64_t first_t = -1;
  o.on_step = [&](const StepProgress& p) {
    if (first_t < 0) first_t = p.timestep;
    steps = p.total;
    return true;
  };
  auto out = ImageToImage(zero, image, cfg, o);
  REQUIRE(out.ok());
  CHECK(steps == 3);
  CHECK(first_t == 200);
  o.on_step = [](const StepProgress&) { return false; };
  CHECK(ImageToImage(zero, image, cfg, o).status().code() == ErrorCode::kCancelled);
}

TEST_CASE("Inpaint keeps the masked-in region and refuses what RePaint cannot do", "[diffusion][repaint][pipeline]") {
  NoisePredictor zero = [](const Tensor& x, int64_t, const std::vector<int64_t>&, Tensor* out) {
    *out = Tensor(x.shape());
    return Status::Ok();
  };
  Tensor image({1, 1, 4, 4}), mask({1, 1, 4, 4});
  for (size_t i = 0; i < image.size(); ++i) image[i] = float(i) / 16.0f - 0.5f;
  for (size_t i = 0; i < 8; ++i) mask[i] = 1.0f;  // top half kept
  InpaintOptions o;
  o.steps = 10;
  o.jump_length = 3;
  o.jump_n_sample = 2;
  auto out = Inpaint(zero, image, mask, ConfigOf(nlohmann::json::object(), "default"), o);
  REQUIRE(out.ok());
  // At t = 0 the known part is sqrt(a_prev = 1)*x0 + 0*noise: the original, exactly.
  for (size_t i = 0; i < 8; ++i) CHECK((*out)[i] == image[i]);
  auto v = Inpaint(zero, image, mask, ConfigOf({{"prediction_type", "v_prediction"}}, "v"), o);
  CHECK_THAT(v.status().message(), Catch::Contains("epsilon"));
  auto bad = Inpaint(zero, image, Tensor({1, 1, 2, 2}), ConfigOf(nlohmann::json::object(), "d"), o);
  CHECK_THAT(bad.status().message(), Catch::Contains("mask shape"));
}

TEST_CASE("Slerp: ends, norm on the arc, and bad input", "[diffusion][pipeline]") {
  Tensor a({1, 2}), b({1, 2});
  a[0] = 1.0f;
  b[1] = 1.0f;  // orthogonal unit vectors
  CHECK(Slerp(a, b, 0.0).value()[0] == Approx(1.0));
  CHECK(Slerp(a, b, 1.0).value()[1] == Approx(1.0));
  const Tensor mid = Slerp(a, b, 0.5).value();
  CHECK(mid[0] == Approx(std::sqrt(0.5)));  // on the unit circle, not the chord (0.5)
  CHECK(mid[1] == Approx(std::sqrt(0.5)));
  CHECK_THAT(Slerp(a, Tensor({2, 2}), 0.5).status().message(), Catch::Contains("does not match"));
  CHECK_THAT(Slerp(a, b, 1.5).status().message(), Catch::Contains("[0, 1]"));
}

TEST_CASE("a pipeline whose result would hold NaN says so instead of returning it", "[diffusion][pipeline]") {
  // A model that diverged: every prediction NaN. Sampling, inpainting, image-to-image and inversion all refuse.
  NoisePredictor nan_model = [](const Tensor& x, int64_t, const std::vector<int64_t>&, Tensor* out) {
    *out = Tensor(x.shape());
    for (size_t i = 0; i < out->size(); ++i) (*out)[i] = std::nanf("");
    return Status::Ok();
  };
  const JsonConfig cfg = ConfigOf(nlohmann::json{{"clip_sample", false}}, "unclipped");
  Tensor image({1, 1, 4, 4});
  Tensor mask({1, 1, 4, 4});
  for (size_t i = 0; i < 8; ++i) mask[i] = 1.0f;
  SampleOptions so;
  so.steps = 3;
  InpaintOptions io;
  io.steps = 3;
  io.jump_length = 1;
  io.jump_n_sample = 1;
  ImageToImageOptions i2i;
  i2i.steps = 3;
  InvertOptions inv;
  inv.steps = 3;
  const Status results[] = {Sample(nan_model, {1, 4, 4}, cfg, so).status(), Inpaint(nan_model, image, mask, cfg, io).status(),
                            ImageToImage(nan_model, image, cfg, i2i).status(), Invert(nan_model, image, cfg, inv).status()};
  for (const Status& st : results) {
    INFO(st.message());
    CHECK(st.message().find("non-finite values of 16") != std::string::npos);
    CHECK(st.message().find("nothing was written") != std::string::npos);
  }
}
