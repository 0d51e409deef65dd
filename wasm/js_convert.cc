#include "js_convert.h"

#include <cmath>

#include <emscripten/wire.h>

namespace ddpm::wasm {
namespace {

bool IsInteger(double x) { return std::isfinite(x) && std::floor(x) == x; }

}  // namespace

val ErrorValue(const Status& status) {
  val out = val::object();
  out.set("error", status.message());
  if (status.code() == ErrorCode::kCancelled) out.set("cancelled", true);
  return out;
}

Expected<std::vector<int64_t>> IntsFromJs(const val& js, const std::string& name) {
  if (js.isUndefined() || js.isNull() || !js["length"].isNumber()) {
    return InvalidArgument(name + ": expected an array of integers");
  }
  const size_t n = js["length"].as<size_t>();
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    const val v = js[i];
    const double x = v.isNumber() ? v.as<double>() : NAN;
    if (!IsInteger(x)) return InvalidArgument(name + "[" + std::to_string(i) + "] is not an integer");
    out[i] = static_cast<int64_t>(x);
  }
  return out;
}

Expected<std::vector<int64_t>> OptionalIntsFromJs(const val& js, const std::string& name) {
  if (js.isUndefined() || js.isNull()) return std::vector<int64_t>();
  return IntsFromJs(js, name);
}

Expected<std::vector<uint8_t>> BytesFromJs(const val& js, const std::string& name) {
  if (!js.instanceof(val::global("Uint8Array"))) return InvalidArgument(name + ": expected a Uint8Array");
  const size_t n = js["length"].as<size_t>();
  std::vector<uint8_t> out(n);
  // As in TensorFromJs: the view is taken after the allocation, which may grow (and detach) the heap.
  if (n > 0) val(emscripten::typed_memory_view(n, out.data())).call<void>("set", js);
  return out;
}

void ReadNumber(const val& obj, const char* key, double* out) {
  const val v = obj[key];
  if (v.isNumber()) *out = v.as<double>();
}

void ReadBool(const val& obj, const char* key, bool* out) {
  const val v = obj[key];
  if (v.isTrue() || v.isFalse()) *out = v.isTrue();
}

Status TensorsFromJs(std::initializer_list<std::pair<val, const char*>> values, std::vector<Tensor>* out) {
  out->clear();
  for (const auto& [js, name] : values) {
    DDPM_ASSIGN_OR_RETURN(Tensor t, TensorFromJs(js, name));
    out->push_back(std::move(t));
  }
  return Status::Ok();
}

Expected<Tensor> TensorFromJs(const val& js, const std::string& name) {
  if (js.isUndefined() || js.isNull() || js.typeOf().as<std::string>() != "object") {
    return InvalidArgument(name + ": expected a Tensor {data: Float32Array, shape: number[]}");
  }
  const val data = js["data"];
  if (!data.instanceof(val::global("Float32Array"))) {
    return InvalidArgument(name + ": data must be a Float32Array");
  }
  DDPM_ASSIGN_OR_RETURN(Shape shape, IntsFromJs(js["shape"], name + ".shape"));
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument(name + ": negative dimension in shape " + ShapeToString(shape));
  }
  const size_t n = data["length"].as<size_t>();
  if (static_cast<int64_t>(n) != NumElements(shape)) {
    return InvalidArgument(name + ": data has " + std::to_string(n) + " elements but shape " +
                           ShapeToString(shape) + " needs " + std::to_string(NumElements(shape)));
  }
  Tensor t(shape);
  if (!t.ok()) return OutOfMemory(name + ": cannot allocate " + ShapeToString(shape));
  // The view is taken after the allocation above, so a memory growth cannot detach it before set().
  val(emscripten::typed_memory_view(n, t.data())).call<void>("set", data);
  return t;
}

val Float32ArrayFrom(const float* data, size_t n) {
  val out = val::global("Float32Array").new_(n);
  if (n > 0) out.call<void>("set", val(emscripten::typed_memory_view(n, data)));
  return out;
}

val Int32ArrayFrom(const std::vector<int64_t>& values) {
  std::vector<int32_t> narrow(values.begin(), values.end());
  val out = val::global("Int32Array").new_(narrow.size());
  if (!narrow.empty()) out.call<void>("set", val(emscripten::typed_memory_view(narrow.size(), narrow.data())));
  return out;
}

val Uint8ArrayFrom(const std::vector<uint8_t>& bytes) {
  val out = val::global("Uint8Array").new_(bytes.size());
  if (!bytes.empty()) out.call<void>("set", val(emscripten::typed_memory_view(bytes.size(), bytes.data())));
  return out;
}

val TensorToJs(const float* data, const std::vector<int64_t>& shape) {
  val js_shape = val::array();
  for (int64_t d : shape) js_shape.call<void>("push", static_cast<double>(d));
  val out = val::object();
  out.set("data", Float32ArrayFrom(data, static_cast<size_t>(NumElements(shape))));
  out.set("shape", js_shape);
  return out;
}

val TensorToJs(const Tensor& t) { return TensorToJs(t.data(), t.shape()); }

}  // namespace ddpm::wasm
