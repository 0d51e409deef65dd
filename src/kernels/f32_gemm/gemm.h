// f32 GEMM: C[m x n] (+)= A[m x k] · B[k x n], the workhorse behind Conv2d, Linear and attention.
//
// Two entry points:
//  * Gemm: general (B given row-major or transposed), packs B into NR-wide panels in `scratch` per call.
//  * GemmPacked: B packed once (PackGemmB, e.g. conv weights at model load), optional fused bias.
// Both split the work over `pool` (nullptr = run on the caller). Kernels assert their preconditions
// (DDPM_KERNEL_ASSERT, active in every build type); they never return errors.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include "base/thread_pool.h"

// Always-on precondition check for kernel entry points (cheap: once per call, never per tile).
#define DDPM_KERNEL_ASSERT(cond)                                                          \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: kernel precondition failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                                \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace ddpm::kernels {

// ---- Agreed API (API_KERNELS.md) ----

// Floats of scratch Gemm needs (at least; may be nullptr if 0).
size_t GemmScratchFloats(size_t n, size_t k, int threads);

// C[m x n] (+)= A[m x k] · B[k x n]. A row-major with stride lda. B row-major [k x n] with stride ldb,
// or, if b_transposed, B^T is given row-major as [n x k] with stride ldb. accumulate: C += instead of C =.
void Gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
          bool b_transposed, float* c, size_t ldc, bool accumulate, float* scratch, ThreadPool* pool);

// Scalar reference twin of Gemm (same signature; scratch and pool unused). Accumulates in double, so
// it is a better answer than any float kernel, not a bit-exact one: compare with a tolerance.
void GemmScalar(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                bool b_transposed, float* c, size_t ldc, bool accumulate, float* scratch, ThreadPool* pool);

// ---- Pre-packed B (additive API) ----

// Width of one packed panel of B for the kernel this process runs (fixed for the process lifetime).
size_t GemmPanelWidth();
// Rows of C one microkernel tile computes (MR): row splits in whole tiles waste nothing.
size_t GemmTileRows();
// Floats PackGemmB writes: k * round_up(n, GemmPanelWidth()).
size_t PackedGemmBFloats(size_t n, size_t k);
// Packs B (row-major [k x n] stride ldb, or transposed [n x k]) into NR-wide, k-major panels,
// zero-padded to a multiple of NR columns. `packed` needs PackedGemmBFloats(n, k) floats.
void PackGemmB(size_t n, size_t k, const float* b, size_t ldb, bool b_transposed, float* packed);
// The same with an explicit panel width (tests and benches that pin a tile shape).
void PackGemmBPanels(size_t n, size_t k, const float* b, size_t ldb, bool b_transposed, size_t nr,
                     float* packed);

// C[m x n] (+)= A · B + bias, where B was packed by PackGemmB. bias [n] may be nullptr (zero).
void GemmPacked(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b,
                const float* bias, float* c, size_t ldc, bool accumulate, ThreadPool* pool);

// C[m x n] (+)= A · B with A given transposed: Aᵀ row-major [k x m], stride lda (a training backward's
// dW = dYᵀ·X, where dY [k x m] is what is stored). B packed by PackGemmB. Single-threaded (the
// caller splits the work).
void GemmPackedTransposedA(size_t m, size_t n, size_t k, const float* a_t, size_t lda, const float* packed_b, float* c,
                           size_t ldc, bool accumulate);

// Implicit GEMM (XNNPACK's igemm): C[m x n] (+)= A · B + bias where row i of A is `taps` runs of
// `cin` floats starting at ind[i * taps + t] (a convolution's kernel taps pointing into the input),
// and B was packed by PackGemmB with k = taps * cin. Threads (if any) split the panels of B.
void GemmIndirect(size_t m, size_t n, size_t taps, size_t cin, const float* const* ind,
                  const float* packed_b, const float* bias, float* c, size_t ldc, bool accumulate,
                  ThreadPool* pool);

// Name of the microkernel GemmPacked runs, e.g. "f32_gemm_6x16__AVX2" (for benchmarks and logs).
const char* GemmKernelName();

}  // namespace ddpm::kernels
