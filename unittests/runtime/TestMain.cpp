//===- TestMain.cpp - main() of the runtime test programs -----------------===//
//
// Compiled into each test executable instead of linking gtest_main: an
// archive's main would be resolved against libkiln_runtime.a's own Main.o
// (which needs kiln_model) if the runtime archive came first on the link line.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
