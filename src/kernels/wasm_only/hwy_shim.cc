// Highway's out-of-line symbols for the wasm build (libhwy is an x86 .so there), verbatim from
// shared/TOOLCHAIN.md: Abort, AllocateAlignedBytes, FreeAlignedBytes.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include "hwy/base.h"
#include "hwy/aligned_allocator.h"
namespace hwy {
HWY_NORETURN void Abort(const char* f, int l, const char* fmt, ...) {
  va_list a; va_start(a, fmt); fprintf(stderr, "%s:%d: ", f, l); vfprintf(stderr, fmt, a);
  fputs("\n", stderr); fflush(stderr); abort(); }
void* AllocateAlignedBytes(size_t n, AllocPtr al, void* op) {
  size_t t = n + HWY_ALIGNMENT + sizeof(void*); void* r = al ? al(op, t) : malloc(t);
  if (!r) return nullptr;
  uintptr_t p = (uintptr_t(r) + sizeof(void*) + HWY_ALIGNMENT - 1) & ~uintptr_t(HWY_ALIGNMENT - 1);
  ((void**)p)[-1] = r; return (void*)p; }
void FreeAlignedBytes(const void* p, FreePtr fr, void* op) {
  if (p) { void* r = ((void* const*)p)[-1]; fr ? fr(op, r) : free(r); } }
}
