"""Compares the outputs of seed_train_step_driver.c with a float64 numpy
reference of the seed MLP's training step (loss, accuracy, gradients)."""

import sys

import numpy as np


def read(path):
    data = open(path, "rb").read()
    n = int(np.frombuffer(data, np.int64, 1)[0])
    offset = 8
    out = {}
    for name, shape, dtype in [
        ("w1", (784, 128), np.float32), ("b1", (128,), np.float32),
        ("w2", (128, 10), np.float32), ("b2", (10,), np.float32),
        ("x", (n, 784), np.float32), ("y", (n,), np.int32),
        ("loss", (), np.float32), ("accuracy", (), np.float32),
        ("dw1", (784, 128), np.float32), ("db1", (128,), np.float32),
        ("dw2", (128, 10), np.float32), ("db2", (10,), np.float32)]:
        count = int(np.prod(shape))
        out[name] = np.frombuffer(data, dtype, count, offset).reshape(shape)
        offset += 4 * count
    assert offset == len(data), "unexpected file size"
    return n, out


def reference(n, t):
    f64 = lambda a: a.astype(np.float64)
    x = f64(t["x"]) * np.float64(np.float32(0.00392156886))
    h = np.maximum(x @ f64(t["w1"]) + f64(t["b1"]), 0.0)
    z = h @ f64(t["w2"]) + f64(t["b2"])
    m = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m
    y = t["y"].astype(np.int64)
    rows = np.arange(n)
    loss = np.mean(lse[:, 0] - z[rows, y])
    accuracy = np.mean(np.argmax(z, axis=1) == y)
    dz = np.exp(z - lse)
    dz[rows, y] -= 1.0
    dz /= n
    dh = dz @ f64(t["w2"]).T * (h > 0)
    return {"loss": loss, "accuracy": accuracy, "dw1": x.T @ dh,
            "db1": dh.sum(axis=0), "dw2": h.T @ dz, "db2": dz.sum(axis=0)}


def main():
    n, t = read(sys.argv[1])
    ref = reference(n, t)
    ok = True
    for name, expected in ref.items():
        got = t[name].astype(np.float64)
        scale = max(np.abs(expected).max(), 1e-6)
        err = np.abs(got - expected).max() / scale
        status = "ok" if err < 1e-4 else "MISMATCH"
        ok &= err < 1e-4
        print(f"{name}: max error {err:.2e} (relative to max |ref| {scale:.3g}) {status}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
