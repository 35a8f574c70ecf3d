"""The comparison shared by the PyTorch cross-checks: loss, accuracy and
every gradient of one compiled train step against a reference, norm-wise
relative error within a tolerance."""

import numpy as np


def backward_cross_entropy(logits, labels, penalty=0.0):
    """The reference side of a classifier's step: sparse categorical
    cross-entropy of `logits` (a PyTorch tensor; Keras computes it from
    the logits when a softmax feeds it) plus `penalty`, differentiated.
    Returns (loss, accuracy)."""
    import torch
    loss = torch.nn.functional.cross_entropy(
        logits, torch.tensor(labels, dtype=torch.long)) + penalty
    loss.backward()
    accuracy = (logits.argmax(1).detach().numpy() == labels).mean()
    return loss.item(), accuracy


def reference_step(model, params, x, y, run):
    """One classifier step on the reference side: `run(weights, x)` maps
    float64 leaves named like model.params (a dict) and the float64 batch
    to the logits of the softmax output. Returns (loss, accuracy,
    gradients, logits) of sparse categorical cross-entropy on labels `y`."""
    import torch
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    logits = run(weights, torch.tensor(x, dtype=torch.float64))
    loss, accuracy = backward_cross_entropy(logits, y)
    return loss, accuracy, [t.grad.numpy() for t in tensors], logits


def check_predict(model, params, x, logits, tolerance):
    """Compares the compiled predict on `x` with softmax(`logits`); prints
    one line and returns the number of failures (0 or 1)."""
    import torch
    probs = torch.softmax(logits, dim=1).detach().numpy()
    predicted = model.predict(params, x)
    error = np.linalg.norm(predicted - probs) / np.linalg.norm(probs)
    print("%-4s predict relative error %.2e" %
          ("ok" if error <= tolerance else "FAIL", error))
    return int(error > tolerance)


def perturb_biases(params, seed, scale=0.1):
    """Replaces the 1-D parameters (biases) by uniform values in
    [-scale, scale), so that their gradients, and activations' kinks away
    from the origin, are exercised."""
    rng = np.random.default_rng(seed)
    for i, p in enumerate(params):
        if p.ndim == 1:
            params[i] = rng.uniform(-scale, scale, p.shape).astype(np.float32)


def compare_values(pairs, tolerance):
    """`pairs` is [(what, got, want)]; prints one line per quantity (the
    norm-wise relative error) and returns the number of failures."""
    failures = 0
    for what, got, want in pairs:
        got = np.asarray(got, np.float64)
        want = np.asarray(want, np.float64)
        error = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
        ok = error <= tolerance
        failures += not ok
        print("%-4s %-16s relative error %.2e" % ("ok" if ok else "FAIL",
                                                   what, error))
    print("torch cross-check: %d failures" % failures)
    return failures


def compare_step(model, step, reference, tolerance):
    """`step` and `reference` are (loss, accuracy, [gradients]); prints one
    line per quantity and returns the number of failures."""
    loss, accuracy, grads = step
    ref_loss, ref_accuracy, ref_grads = reference
    pairs = [("loss", loss, ref_loss), ("accuracy", accuracy, ref_accuracy)]
    pairs += [(name, got, want) for (name, _, _), got, want
              in zip(model.params, grads, ref_grads)]
    return compare_values(pairs, tolerance)
