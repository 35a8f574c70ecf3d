#!/bin/sh
# Data-parallel throughput of the seed MLP (docs/distributed.md): all 60000
# Fashion-MNIST images, 3 epochs, each setting 3 times; per run the mean of
# epochs 2-3 from --metrics-json, with the reductions' time split by
# KILN_MPI_PROFILE=1 into the wait for the slowest rank and the transfer.
# Usage: bench/mpi_scaling.sh [BUILD_DIR]   (not part of the tests)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/kilnc" "$root/examples/mnist_mlp.json" -o "$work/mlp"
D="--data ${FASHION_MNIST:-/usr/share/datasets/fashion-mnist} --epochs 3 --quiet"
M="mpirun --allow-run-as-root --oversubscribe"
export KILN_MPI_PROFILE=1

once() {
  name=$1
  shift
  "$@" $D --metrics-json "$work/m.jsonl" > /dev/null
  /usr/bin/python3 - "$name" "$work/m.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[2]) if '"epoch"' in l][1:]
n = len(recs)
sps = sum(r["samples_per_second"] for r in recs) / n
sec = sum(r["seconds"] for r in recs) / n
steps = recs[0].get("allreduce_calls", 0)
line = "%-28s %7.0f samples/s" % (sys.argv[1], sps)
if steps:
    ar = sum(r["allreduce_seconds"] for r in recs) / n
    wait = sum(r["allreduce_wait_seconds"] for r in recs) / n
    line += ("  %4d steps, %.3f ms/step; reduction %.0f us/step (wait %.0f, "
             "transfer+sum %.0f), %d B") % (
        steps, 1e3 * sec / steps, 1e6 * ar / steps, 1e6 * wait / steps,
        1e6 * (ar - wait) / steps, recs[0]["allreduce_bytes"] // steps)
print(line)
PY
}
run() { for i in 1 2 3; do once "$@"; done; }

uptime
run "1 process B=32" "$work/mlp" train --batch-size 32
run "2 ranks B=32 (global 64)" $M -np 2 "$work/mlp" train --batch-size 32
run "4 ranks B=32 (global 128)" $M -np 4 "$work/mlp" train --batch-size 32
run "1 process B=256" "$work/mlp" train --batch-size 256
run "2 ranks B=256 (global 512)" $M -np 2 "$work/mlp" train --batch-size 256
uptime
