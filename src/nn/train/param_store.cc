#include "nn/train/param_store.h"

#include <algorithm>

namespace ddpm::nn::train {

Param ParamStore::Reserve(size_t floats) {
  Param p{total_, floats};
  total_ += (floats + 15) / 16 * 16;
  return p;
}

void ParamStore::Name(const std::string& name, const Shape& shape, Param view) {
  entries_.push_back({name, shape, view});
}

Param ParamStore::Add(const std::string& name, const Shape& shape) {
  const Param p = Reserve(size_t(NumElements(shape)));
  Name(name, shape, p);
  return p;
}

Status ParamStore::Allocate() {
  values_ = Tensor(Shape{int64_t(total_)});
  grads_ = Tensor(Shape{int64_t(total_)});
  if (!values_.ok() || !grads_.ok())
    return OutOfMemory("cannot allocate " + std::to_string(total_) + " parameters and their gradients");
  return Status::Ok();
}

Status ParamStore::AllocateSharingValues(ParamStore* owner) {
  if (owner->total_ != total_) return InvalidArgument("a parameter replica must be registered as its owner is");
  owner_ = owner;
  grads_ = Tensor(Shape{int64_t(total_)});
  if (!grads_.ok()) return OutOfMemory("cannot allocate the gradients of " + std::to_string(total_) + " parameters");
  return Status::Ok();
}

ParamList ParamStore::List() {
  ParamList list;
  list.reserve(entries_.size());
  for (const Entry& e : entries_) list.push_back({e.name, value(e.param), grad(e.param), e.param.size, e.shape});
  return list;
}

void ParamStore::ZeroGrad() { std::fill(grads_.data(), grads_.data() + grads_.size(), 0.0f); }

}  // namespace ddpm::nn::train
