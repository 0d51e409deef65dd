// Conversions between JS values and core types for the Embind layer. No maths here: copies and checks
// that a JS value has the shape the core expects. Errors come back as {error: message} objects, never
// as C++ exceptions; the JS wrapper (web/src/native.js) turns them into Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/val.h>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm::wasm {

using emscripten::val;

// {error: status.message()}, plus cancelled: true for a kCancelled status. The wrapper throws
// new Error(error), named 'AbortError' when cancelled.
val ErrorValue(const Status& status);

// A {data: Float32Array, shape: number[]} object copied into a Tensor. `name` is the argument's name
// for errors ("sample: data has 95 elements but shape [2,3,4,4] needs 96").
Expected<Tensor> TensorFromJs(const val& js, const std::string& name);
// Several at once: each {value, name} in order, into *out; the first that fails is the error.
Status TensorsFromJs(std::initializer_list<std::pair<val, const char*>> values, std::vector<Tensor>* out);
// A Tensor copied into a new {data: Float32Array, shape: number[]} object (JS owns the copy).
val TensorToJs(const Tensor& t);

// Numbers from a JS array or typed array (checked to be integers for the integer version).
Expected<std::vector<int64_t>> IntsFromJs(const val& js, const std::string& name);

// Integers that may be absent: undefined or null give an empty list.
Expected<std::vector<int64_t>> OptionalIntsFromJs(const val& js, const std::string& name);
// A Uint8Array copied into wasm memory.
Expected<std::vector<uint8_t>> BytesFromJs(const val& js, const std::string& name);

// Option fields: *out is left alone (the core's default) when obj[key] is not a number / boolean.
void ReadNumber(const val& obj, const char* key, double* out);
void ReadBool(const val& obj, const char* key, bool* out);

// New JS typed arrays holding copies of C++ data.
val Float32ArrayFrom(const float* data, size_t n);
val Int32ArrayFrom(const std::vector<int64_t>& values);
val Uint8ArrayFrom(const std::vector<uint8_t>& bytes);
// A flat float buffer with a shape (e.g. a parameter) as a Tensor-like object.
val TensorToJs(const float* data, const std::vector<int64_t>& shape);

}  // namespace ddpm::wasm
