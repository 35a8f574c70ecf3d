#!/bin/sh
# Lowers bench/codegen/matmuls.mlir with each matmul code generation and
# prints GFLOP/s per shape. usage: run.sh [BUILD_DIR] [M...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
shift || true
batches=${*:-32}
llvm=/usr/lib/llvm-22/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for codegen in naive tuned; do
  "$build/bin/kiln-opt" "$here/matmuls.mlir" \
    --kiln-to-llvm="codegen=$codegen" -o "$work/$codegen.mlir"
  "$llvm/mlir-translate" --mlir-to-llvmir "$work/$codegen.mlir" -o "$work/$codegen.ll"
  "$llvm/clang" -O3 -march=native -Wno-override-module -c "$work/$codegen.ll" -o "$work/$codegen.o"
  "$llvm/clang" -O2 "$here/matmul_bench.c" "$work/$codegen.o" -o "$work/$codegen.exe"
  for m in $batches; do
    echo "== $codegen"
    "$work/$codegen.exe" "$m"
  done
done
