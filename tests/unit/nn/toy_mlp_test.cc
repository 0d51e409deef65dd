#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <vector>

#include "base/rng.h"
#include "nn/toy_mlp.h"

using namespace ddpm;

namespace {
// loss = Σ w_i · out_i with fixed random weights, so d loss / d out = w.
double Loss(ToyMlp& m, const std::vector<float>& x, const std::vector<float>& t, const std::vector<float>& w) {
  std::vector<float> out(w.size());
  m.Forward(x.data(), t.data(), int(t.size()), out.data(), nullptr);
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) s += double(w[i]) * out[i];
  return s;
}
}  // namespace

TEST_CASE("ToyMlp backward matches central finite differences", "[nn][toy_mlp][grad]") {
  ToyMlpConfig cfg;
  cfg.hidden = 16;
  cfg.num_hidden_layers = 2;
  cfg.time_embed_dim = 8;
  ToyMlp m = ToyMlp::Create(cfg, 1);
  const int batch = 5;
  std::vector<float> x(batch * 2), t = {0, 10, 250, 600, 999}, w(batch * 2);
  PhiloxRng rng(2);
  rng.Normal(x.data(), x.size());
  rng.Normal(w.data(), w.size());

  m.ZeroGrad();
  Loss(m, x, t, w);
  m.Backward(w.data(), nullptr);
  ParamList params = m.Parameters();
  int checked = 0;
  double worst = 0;
  for (const ParamRef& p : params) {
    for (size_t i = 0; i < p.size; i += 7) {  // a spread of entries of every tensor
      const float saved = p.value[i];
      const float h = 1e-2f * std::max(1.0f, std::fabs(saved));
      p.value[i] = saved + h;
      const double up = Loss(m, x, t, w);
      p.value[i] = saved - h;
      const double down = Loss(m, x, t, w);
      p.value[i] = saved;
      const double numeric = (up - down) / (2.0 * h);
      const double err = std::fabs(numeric - p.grad[i]) / (1e-2 + std::fabs(numeric));
      worst = std::max(worst, err);
      ++checked;
    }
  }
  INFO("checked " << checked << " entries, worst relative error " << worst);
  CHECK(checked > 50);
  CHECK(worst < 2e-2);  // float32 central differences with h = 1e-2: truncation + rounding ~1e-3
}

TEST_CASE("ToyMlp saves and loads a diffusers-style folder", "[nn][toy_mlp]") {
  ToyMlp m = ToyMlp::Create({}, 3);
  const auto dir = std::filesystem::temp_directory_path() / "ddpm_toy_mlp_test";
  std::filesystem::create_directories(dir);
  REQUIRE(m.SaveModel(dir.string()).ok());
  auto loaded = ToyMlp::Load(dir.string());
  REQUIRE(loaded.ok());
  std::vector<float> x = {0.3f, -0.7f}, t = {123}, a(2), b(2);
  m.Forward(x.data(), t.data(), 1, a.data(), nullptr);
  loaded->Forward(x.data(), t.data(), 1, b.data(), nullptr);
  CHECK(a == b);
  std::filesystem::remove_all(dir);
  auto missing = ToyMlp::Load(dir.string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("config.json") != std::string::npos);
}
