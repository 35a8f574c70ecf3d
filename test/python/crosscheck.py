"""The comparison shared by the PyTorch cross-checks: loss, accuracy and
every gradient of one compiled train step against a reference, norm-wise
relative error within a tolerance."""

import numpy as np


def compare_step(model, step, reference, tolerance):
    """`step` and `reference` are (loss, accuracy, [gradients]); prints one
    line per quantity and returns the number of failures."""
    failures = 0

    def check(what, got, want):
        nonlocal failures
        got = np.asarray(got, np.float64)
        want = np.asarray(want, np.float64)
        error = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
        ok = error <= tolerance
        failures += not ok
        print("%-4s %-16s relative error %.2e" % ("ok" if ok else "FAIL",
                                                   what, error))

    loss, accuracy, grads = step
    ref_loss, ref_accuracy, ref_grads = reference
    check("loss", loss, ref_loss)
    check("accuracy", accuracy, ref_accuracy)
    for (name, _, _), got, want in zip(model.params, grads, ref_grads):
        check(name, got, want)
    print("torch cross-check: %d failures" % failures)
    return failures
