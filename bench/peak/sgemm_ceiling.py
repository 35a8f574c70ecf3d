"""OpenBLAS sgemm at 1024³ through numpy (Debian's, linked to the system
BLAS): the practical ceiling a tuned library reaches on this machine. Run
with OPENBLAS_NUM_THREADS set to the thread count to measure; prints
GFLOP/s, best of several runs."""

import json
import os
import time

import numpy as np

n = 1024
a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
a @ b
best = float("inf")
for _ in range(7):
    start = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - start)
print(json.dumps({"threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")),
                  "sgemm_1024_gflops": round(2.0 * n ** 3 / best / 1e9, 1)}))
