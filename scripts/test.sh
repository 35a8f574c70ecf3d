#!/usr/bin/env bash
# The README's second command (and CI's): installs what is missing, builds
# Kiln and runs every test with lit: the lit + FileCheck suites under test/
# (dialect, passes, conversion, frontend, end-to-end training, gradient and
# PyTorch cross-checks) and the runtime's GoogleTest cases under unittests/.
# Extra arguments go to lit (e.g. --filter=Frontend).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$@" build/test build/unittests 2>&1 | tee "$log" || status=$?

# One closing line a person or CI can read at a glance.
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
skipped=$(sed -n 's/^ *Unsupported *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
