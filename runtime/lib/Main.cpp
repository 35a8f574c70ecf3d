//===- Main.cpp - main() of a compiled model's executable -----------------===//
//
// Its own archive member of libkiln_runtime.a: the linker loads it only while
// `main` is still undefined, i.e. for a model executable (the generated
// object defines kiln_model but no main). Test programs compile their own
// main into the executable, so this member and its reference to kiln_model
// stay out of them.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Driver.h"
#include "kiln/runtime/abi.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

int main(int argc, char **argv) {
#ifdef __GLIBC__
  // The compiled step allocates its batch-sized temporaries (im2col
  // matrices of several MB) on every call. Keep freed memory in the heap
  // instead of returning it to the kernel: otherwise every step pays page
  // faults on fresh mmap'ed pages, which for a CNN cost more than its math.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  return kiln::runtime::runMain(kiln_model, argc, argv);
}
