// Test helper for the CLI ctests: compare one tensor of two safetensors files elementwise,
// |a-b| <= atol + rtol*|b|. Prints one line (key, maxdiff, OK/NOT OK); exit 0 iff OK.
//   compare_safetensors A.safetensors KEY_A B.safetensors KEY_B ATOL RTOL
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/safetensors.h"

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s A KEY_A B KEY_B ATOL RTOL\n", argv[0]);
    return 2;
  }
  auto a_file = ddpm::SafeTensors::ReadFile(argv[1]);
  auto b_file = ddpm::SafeTensors::ReadFile(argv[3]);
  if (!a_file.ok() || !b_file.ok()) {
    std::fprintf(stderr, "%s\n", (!a_file.ok() ? a_file.status() : b_file.status()).message().c_str());
    return 1;
  }
  auto a = a_file->GetFloat(argv[2]);
  auto b = b_file->GetFloat(argv[4]);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "%s\n", (!a.ok() ? a.status() : b.status()).message().c_str());
    return 1;
  }
  if (a->shape() != b->shape()) {
    std::printf("%s shape %s vs %s NOT OK\n", argv[2], ddpm::ShapeToString(a->shape()).c_str(),
                ddpm::ShapeToString(b->shape()).c_str());
    return 1;
  }
  const double atol = std::atof(argv[5]), rtol = std::atof(argv[6]);
  double maxdiff = 0;
  bool ok = true;
  for (size_t i = 0; i < a->size(); ++i) {
    const double d = std::fabs(double((*a)[i]) - double((*b)[i]));
    if (!(d <= atol + rtol * std::fabs(double((*b)[i])))) ok = false;
    if (!(d <= maxdiff)) maxdiff = std::isnan(d) ? INFINITY : d;
  }
  std::printf("%s maxdiff %.3g %s\n", argv[2], maxdiff, ok ? "OK" : "NOT OK");
  return ok ? 0 : 1;
}
