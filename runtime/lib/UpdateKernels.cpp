//===- UpdateKernels.cpp - Update-rule loops for each vector ISA ----------===//
//
// The loops of UpdateKernels.inc, compiled three times in this one file:
// for the baseline target (SSE2 on x86-64) and, on x86-64, with
// __attribute__((target("avx2"))) and target("avx512f"). Function
// attributes rather than per-file -m flags keep every inline function that
// the loops call (std::max, std::sqrt) compiled for the baseline wherever
// the compiler emits it out of line, so no AVX instruction can leak into
// code that runs before dispatch.
//
//===----------------------------------------------------------------------===//

#include "UpdateKernels.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

#define KILN_ISA baseline
#define KILN_TARGET
#include "UpdateKernels.inc"
#undef KILN_TARGET
#undef KILN_ISA

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KILN_UPDATE_KERNELS_X86 1

#define KILN_ISA avx2
#define KILN_TARGET __attribute__((target("avx2")))
#include "UpdateKernels.inc"
#undef KILN_TARGET
#undef KILN_ISA

#define KILN_ISA avx512
#define KILN_TARGET __attribute__((target("avx512f")))
#include "UpdateKernels.inc"
#undef KILN_TARGET
#undef KILN_ISA
#endif

const UpdateKernels *updateKernelsFor(VectorIsa isa) {
  if (isa == VectorIsa::Baseline)
    return &baseline::kKernels;
#ifdef KILN_UPDATE_KERNELS_X86
  if (isa == VectorIsa::Avx2)
    return &avx2::kKernels;
  if (isa == VectorIsa::Avx512)
    return &avx512::kKernels;
#endif
  return nullptr;
}

} // namespace runtime
} // namespace kiln
