"""kiln.image_transform, its gradient and kiln.random_image_transforms,
compiled and run, against an independent numpy reference.

`gen OUT.mlir` writes one function per (interpolation, fill mode) for the
forward op and for its gradient, a 1x8 (broadcast) forward, and one draw
function per kind; `check LIB.so` calls them through ctypes.

- forward: 3 images of 6x5x2 resampled to 4x7 through a rotation with
  zoom, a far translation (wrap and reflect go around more than once) and
  a projective flip, against Keras's documented semantics evaluated in
  numpy (taps and weights from the same float32 coordinates, sums in
  float64), to 1e-5;
- gradient: against the transpose of the dense matrix the reference
  builds (dx = Aᵀ dy per image and channel), to 1e-5;
- draws: each kind's transforms have Keras's structure and offsets,
  stay within the ranges and cover them, differ between images, are
  bitwise reproducible for the same {seed, step} and change with either.

usage: image_ops.py gen OUT.mlir | image_ops.py check LIB.so
"""

import ctypes
import sys

import numpy as np

N, H, W, C = 3, 6, 5, 2
H2, W2 = 4, 7
MODES = ["constant", "reflect", "wrap", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]
FILL = 0.75
DRAWS = {
    "flip": [1.0, 1.0],
    "rotation": [-0.6, 0.3],
    "zoom4": [0.8, 1.3, 0.5, 0.9],
    "zoom2": [0.7, 1.1],
    "translation": [-0.2, 0.1, -0.3, 0.25],
}
DRAW_N = 64


def gen(path):
    x = "tensor<?x%dx%dx%dxf32>" % (H, W, C)
    y = "tensor<?x%dx%dx%dxf32>" % (H2, W2, C)
    lines = []
    for interp in INTERPOLATIONS:
        for mode in MODES:
            attrs = '{fill_mode = "%s", fill_value = %s : f32, interpolation = "%s"}' % (
                mode, FILL, interp)
            lines.append(
                "func.func @fwd_%s_%s(%%x: %s, %%t: tensor<?x8xf32>) -> %s {\n"
                "  %%0 = kiln.image_transform %%x, %%t %s : (%s, tensor<?x8xf32>) -> %s\n"
                "  return %%0 : %s\n}" % (interp, mode, x, y, attrs, x, y, y))
            lines.append(
                "func.func @grad_%s_%s(%%dy: %s, %%t: tensor<?x8xf32>) -> %s {\n"
                "  %%0 = kiln.image_transform_grad %%dy, %%t %s : (%s, tensor<?x8xf32>) -> %s\n"
                "  return %%0 : %s\n}" % (interp, mode, y, x, attrs, y, x, x))
    lines.append(
        "func.func @fwd_broadcast(%%x: %s, %%t: tensor<1x8xf32>) -> %s {\n"
        "  %%0 = kiln.image_transform %%x, %%t {fill_mode = \"nearest\"} : (%s, tensor<1x8xf32>) -> %s\n"
        "  return %%0 : %s\n}" % (x, y, x, y, y))
    for name, ranges in DRAWS.items():
        kind = name.rstrip("24")
        lines.append(
            "func.func @draw_%s(%%x: %s, %%rng: tensor<2xi64>) -> tensor<?x8xf32> {\n"
            "  %%0 = kiln.random_image_transforms %%x, %%rng {kind = \"%s\", ranges = array<f32: %s>, stream = 5 : i64} : (%s, tensor<2xi64>) -> tensor<?x8xf32>\n"
            "  return %%0 : tensor<?x8xf32>\n}" % (
                name, x, kind, ", ".join(str(r) for r in ranges), x))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def memref_args(array):
    """The expanded memref descriptor of a C-contiguous array."""
    ptr = ctypes.c_void_p(array.ctypes.data)
    strides = [s // array.itemsize for s in array.strides]
    return ([ptr, ptr, ctypes.c_int64(0)] +
            [ctypes.c_int64(d) for d in array.shape] +
            [ctypes.c_int64(s) for s in strides])


def call(lib, name, inputs, out_shape):
    out = np.full(out_shape, -12345.0, dtype=np.float32)
    args = []
    for a in inputs + [out]:
        args += memref_args(a)
    getattr(lib, name)(*args)
    return out


def map_index(i, n, mode):
    if mode == "constant":
        return min(max(i, 0), n - 1), 0 <= i < n
    if mode == "nearest":
        return min(max(i, 0), n - 1), True
    if mode == "wrap":
        return i % n, True
    r = i % (2 * n)  # reflect: d c b a | a b c d | d c b a
    return (r if r < n else 2 * n - 1 - r), True


def round_half_away(v):
    return float(np.sign(v) * np.floor(abs(v) + 0.5))


def reference(x, t, interp, mode, out_h=H2, out_w=W2):
    """The output and, per image, the matrix A with out = A·x + fill terms."""
    f32 = np.float32
    n_img = x.shape[0]
    out = np.zeros((n_img, out_h, out_w, C))
    mats = np.zeros((n_img, out_h * out_w, H * W))
    for n in range(n_img):
        tr = t[n if t.shape[0] > 1 else 0].astype(np.float32)
        for oy in range(out_h):
            for ox in range(out_w):
                xf, yf = f32(ox), f32(oy)
                k = f32(f32(tr[6] * xf) + f32(tr[7] * yf)) + f32(1)
                if k == 0:
                    out[n, oy, ox, :] = FILL
                    continue
                sx = f32(f32(f32(tr[0] * xf) + f32(tr[1] * yf)) + tr[2]) / k
                sy = f32(f32(f32(tr[3] * xf) + f32(tr[4] * yf)) + tr[5]) / k
                sx, sy = float(sx), float(sy)
                if interp == "nearest":
                    taps = [(1.0, int(round_half_away(sy)), int(round_half_away(sx)))]
                else:
                    fx, fy = np.floor(sx), np.floor(sy)
                    wx = [fx + 1 - sx, sx - fx]
                    wy = [fy + 1 - sy, sy - fy]
                    taps = [(wy[a] * wx[b], int(fy) + a, int(fx) + b)
                            for a in range(2) for b in range(2)]
                for w, r, c in taps:
                    ri, rin = map_index(r, H, mode)
                    ci, cin = map_index(c, W, mode)
                    if rin and cin:
                        out[n, oy, ox, :] += w * x[n, ri, ci, :]
                        mats[n, oy * out_w + ox, ri * W + ci] += w
                    else:
                        out[n, oy, ox, :] += w * FILL
    return out, mats


def test_transforms():
    a = 0.4
    cos, sin = np.cos(a), np.sin(a)
    z = 1.3
    rot = [z * cos, -z * sin, 2.0 - 0.3 * cos, z * sin, z * cos, -0.7, 0, 0]
    far = [0.9, 0.0, -13.3, 0.0, 1.7, 2.2, 0, 0]
    proj = [-1.0, 0.2, 4.0, 0.1, 1.0, -0.5, 0.05, -0.03]
    return np.array([rot, far, proj], dtype=np.float32)


def check(lib_path):
    lib = ctypes.CDLL(lib_path)
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (N, H, W, C)).astype(np.float32)
    dy = rng.uniform(-1, 1, (N, H2, W2, C)).astype(np.float32)
    t = test_transforms()
    failures = 0
    for interp in INTERPOLATIONS:
        for mode in MODES:
            want, mats = reference(x.astype(np.float64), t, interp, mode)
            got = call(lib, "fwd_%s_%s" % (interp, mode), [x, t],
                       (N, H2, W2, C))
            err = np.max(np.abs(got - want))
            ok = err < 1e-5
            failures += not ok
            print("%s forward %s %s: max error %.2e" %
                  ("ok  " if ok else "FAIL", interp, mode, err))
            # The transpose of the reference's matrix, per image and channel.
            want_dx = np.einsum("noi,noc->nic", mats,
                                dy.reshape(N, H2 * W2, C).astype(np.float64))
            got_dx = call(lib, "grad_%s_%s" % (interp, mode), [dy, t],
                          (N, H, W, C)).reshape(N, H * W, C)
            err = np.max(np.abs(got_dx - want_dx))
            ok = err < 1e-5
            failures += not ok
            print("%s gradient %s %s: max error %.2e" %
                  ("ok  " if ok else "FAIL", interp, mode, err))
    # One transform for the whole batch: a half-pixel resize 6x5 -> 4x7.
    sx, sy = W / W2, H / H2
    resize = np.array([[sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0]],
                      dtype=np.float32)
    want, _ = reference(x.astype(np.float64), resize, "bilinear", "nearest")
    got = call(lib, "fwd_broadcast", [x, resize], (N, H2, W2, C))
    err = np.max(np.abs(got - want))
    failures += not err < 1e-5
    print("%s forward broadcast: max error %.2e" %
          ("ok  " if err < 1e-5 else "FAIL", err))
    failures += check_draws(lib, x)
    print("image ops: %d failures" % failures)
    return 1 if failures else 0


def draws(lib, name, seed, step):
    x = np.zeros((DRAW_N, H, W, C), dtype=np.float32)
    state = np.array([seed, step], dtype=np.int64)
    return call(lib, "draw_" + name, [x, state], (DRAW_N, 8)).astype(np.float64)


def covers(values, lo, hi):
    """Within [lo, hi] and reaching both ends' fifths."""
    span = hi - lo
    return (values.min() >= lo - 1e-6 and values.max() <= hi + 1e-6 and
            values.min() < lo + 0.2 * span and values.max() > hi - 0.2 * span)


def check_draws(lib, x):
    failures = 0

    def report(ok, what):
        nonlocal failures
        failures += not ok
        print("%s draws %s" % ("ok  " if ok else "FAIL", what))

    for name, ranges in DRAWS.items():
        t = draws(lib, name, 7, 3)
        if name == "flip":
            hflip = t[:, 0] == -1
            vflip = t[:, 4] == -1
            want = np.zeros_like(t)
            want[:, 0] = np.where(hflip, -1, 1)
            want[:, 2] = np.where(hflip, W - 1, 0)
            want[:, 4] = np.where(vflip, -1, 1)
            want[:, 5] = np.where(vflip, H - 1, 0)
            kinds = set(zip(hflip, vflip))
            report(np.array_equal(t, want) and len(kinds) == 4,
                   "flip: exact flips, all four combinations")
        elif name == "rotation":
            angle = np.arctan2(t[:, 3], t[:, 0])
            cos, sin = np.cos(angle), np.sin(angle)
            ox = ((W - 1) - (cos * (W - 1) - sin * (H - 1))) / 2
            oy = ((H - 1) - (sin * (W - 1) + cos * (H - 1))) / 2
            want = np.stack([cos, -sin, ox, sin, cos, oy,
                             0 * cos, 0 * cos], axis=1)
            report(np.max(np.abs(t - want)) < 1e-5 and
                   covers(angle, *ranges), "rotation: Keras's matrix, angles "
                   "cover [%g, %g]" % tuple(ranges))
        elif name.startswith("zoom"):
            zy = t[:, 4]
            zx = t[:, 0]
            want = np.zeros_like(t)
            want[:, 0], want[:, 4] = zx, zy
            want[:, 2] = (W - 1) / 2 * (1 - zx)
            want[:, 5] = (H - 1) / 2 * (1 - zy)
            ok = np.max(np.abs(t - want)) < 1e-5 and covers(zy, *ranges[:2])
            if len(ranges) == 4:
                ok = ok and covers(zx, *ranges[2:]) and not np.allclose(zx, zy)
            else:
                ok = ok and np.array_equal(zx, zy)
            report(ok, "%s: Keras's matrix, zooms within the ranges" % name)
        else:
            dy, dx = -t[:, 5] / H, -t[:, 2] / W
            want = np.zeros_like(t)
            want[:, 0] = want[:, 4] = 1
            want[:, 2], want[:, 5] = t[:, 2], t[:, 5]
            report(np.array_equal(t, want) and covers(dy, *ranges[:2]) and
                   covers(dx, *ranges[2:]),
                   "translation: shifts cover the fractions of H and W")
        # Flips have four outcomes (checked above); the others a continuum.
        distinct = 3 if name == "flip" else DRAW_N // 2
        report(len({tuple(row) for row in t}) > distinct,
               "%s: the images draw different transforms" % name)
        same = draws(lib, name, 7, 3)
        report(np.array_equal(t.view(np.int64), same.view(np.int64)),
               "%s: the same {seed, step} draws the same bits" % name)
        report(not np.array_equal(t, draws(lib, name, 7, 4)) and
               not np.array_equal(t, draws(lib, name, 8, 3)),
               "%s: another step or seed draws others" % name)
    return failures


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
