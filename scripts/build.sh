#!/usr/bin/env bash
# Configures (once) and builds Kiln with ninja into ./build, or into the
# folder KILN_BUILD_DIR names (several trees side by side share ccache).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KILN_BUILD_DIR:-build}"

# Cache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
cmake --build "$build" "$@"
