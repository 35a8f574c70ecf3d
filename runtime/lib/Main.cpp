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

int main(int argc, char **argv) {
  return kiln::runtime::runMain(kiln_model, argc, argv);
}
