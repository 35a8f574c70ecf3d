"""Checks the results written by matmul_variants_driver.c against float64
numpy references."""

import sys

import numpy as np


def main():
    data = open(sys.argv[1], "rb").read()
    m = int(np.frombuffer(data, np.int64, 1)[0])
    offset = 8

    def take(*shape):
        nonlocal offset
        count = int(np.prod(shape))
        a = np.frombuffer(data, np.float32, count, offset).reshape(shape)
        offset += 4 * count
        return a.astype(np.float64)

    relu = lambda z: np.maximum(z, 0.0)
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))
    cases = []
    x, w, b = take(m, 784), take(784, 128), take(128)
    cases.append(("fwd1", relu(x @ w + b), take(m, 128)))
    x, w, b = take(m, 128), take(128, 10), take(10)
    cases.append(("fwd2", x @ w + b, take(m, 10)))
    x, w = take(m, 128), take(784, 128)
    cases.append(("dx1", x @ w.T, take(m, 784)))
    x, w = take(m, 10), take(128, 10)
    cases.append(("dx2", x @ w.T, take(m, 128)))
    x, dy = take(m, 784), take(m, 128)
    cases.append(("dw1", x.T @ dy, take(784, 128)))
    x, dy = take(m, 128), take(m, 10)
    cases.append(("dw2", x.T @ dy, take(128, 10)))
    x, w, b = take(m, 12), take(12, 20), take(20)
    cases.append(("odd_tanh", np.tanh(x @ w + b), take(m, 20)))
    x, w = take(m, 30), take(40, 30)
    cases.append(("odd_sigmoid", sigmoid(x @ w.T), take(m, 40)))
    assert offset == len(data), "unexpected file size"

    ok = True
    for name, expected, got in cases:
        scale = max(np.abs(expected).max(), 1.0)
        err = np.abs(got - expected).max() / scale
        good = err < 2e-5
        ok &= good
        print(f"M={m} {name}: max error {err:.2e} {'ok' if good else 'MISMATCH'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
