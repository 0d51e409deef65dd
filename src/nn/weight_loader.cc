#include "nn/weight_loader.h"

#include <cmath>

namespace ddpm::nn {

Tensor WeightLoader::Get(const std::string& key, const Shape& shape) {
  used_.insert(key);
  parameters_ += NumElements(shape);
  const TensorInfo* info = file_.Find(key);
  if (!info) {
    problems_.push_back("missing key '" + key + "' (expected shape " + ShapeToString(shape) + ")");
    return Tensor(shape);
  }
  if (info->shape != shape) {
    problems_.push_back("key '" + key + "' has shape " + ShapeToString(info->shape) + ", expected " +
                        ShapeToString(shape));
    return Tensor(shape);
  }
  Expected<Tensor> t = file_.GetFloat(key);
  if (!t.ok()) {
    problems_.push_back(t.status().message());
    return Tensor(shape);
  }
  for (size_t i = 0; i < t->size(); ++i) {
    if (!std::isfinite((*t)[i])) {
      problems_.push_back("key '" + key + "' has a non-finite value at element " + std::to_string(i));
      return Tensor(shape);
    }
  }
  return std::move(t).value();
}

Status WeightLoader::Finish() const {
  std::vector<std::string> problems = problems_;
  for (const TensorInfo& t : file_.tensors()) {
    if (!used_.count(t.name)) problems.push_back("unexpected key '" + t.name + "' (not used by this config)");
  }
  if (problems.empty()) return Status::Ok();
  std::string msg = file_.source() + ": " + std::to_string(problems.size()) + " weight problem" +
                    (problems.size() > 1 ? "s" : "") + ": ";
  const size_t shown = std::min<size_t>(problems.size(), 8);
  for (size_t i = 0; i < shown; ++i) msg += (i ? "; " : "") + problems[i];
  if (problems.size() > shown) msg += "; and " + std::to_string(problems.size() - shown) + " more";
  return InvalidArgument(msg);
}

}  // namespace ddpm::nn
