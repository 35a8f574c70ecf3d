#!/usr/bin/env bash
# The README's second command (and CI's): installs what is missing, builds
# Kiln and runs every test with lit: the lit + FileCheck suites under test/
# (dialect, passes, conversion, frontend, end-to-end training, gradient and
# PyTorch cross-checks) and the runtime's GoogleTest cases under unittests/,
# then the numerics tests again at -O0. Extra arguments go to lit (e.g.
# --filter=Frontend) and skip the -O0 pass.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$@" build/test build/unittests 2>&1 | tee "$log" || status=$?
# The full run repeats the numerics tests (finite-difference gradients and
# PyTorch cross-checks) with every model compiled at -O0: they must pass
# unoptimized as well as at kilnc's default -O3.
if [ $# -eq 0 ]; then
  /usr/lib/llvm-22/bin/lit -sv -D kilnc-opt=0 --filter 'kilnc/(torch|gradcheck)' \
    build/test 2>&1 | tee -a "$log" || status=$?
fi

# One closing line a person or CI can read at a glance.
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | awk '{s += $1} END {print s + 0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Unsupported)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
