"""One discriminator step and one generator step of examples/mlp_gan.json
(compiled with `kilnc --emit=shared`, with any of its losses) against
PyTorch in float64, on the same parameters, images and latent vectors.

The discriminator's step must return its loss (non-saturating:
BCE(D(real), 1) + BCE(D(G(z)), 0) on logits; hinge: mean relu(1 - D(real))
+ mean relu(1 + D(G(z)))), both accuracies and the gradients of the
discriminator's parameters, with exact zeros for the generator's (the
generated images are constants to it). With the Wasserstein loss the
critic's loss is mean D(G(z)) - mean D(real) plus the gradient penalty
λ·mean((‖∂D(x̂)/∂x̂‖ - 1)²) on interpolates x̂, whose reference takes
PyTorch's double backward (create_graph=True). The generator's step must return
its loss (BCE(D(G(z)), 1); hinge: -mean D(G(z))) and the generator's
gradients through the discriminator, with zeros for the discriminator's. A reference that forgets the detach (the discriminator's
step also differentiating through the generator) or that differentiates
the wrong network fails, since the zero blocks are checked exactly.

usage: torch_gan_step.py LIBGAN.so
"""

import ctypes
import sys

import numpy as np
import torch

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def buffers(arrays):
    return (ctypes.c_void_p * len(arrays))(
        *[ctypes.c_void_p(a.ctypes.data) for a in arrays])


def main():
    model = CompiledModel(sys.argv[1])
    gan = model.desc.gan.contents
    n, latent_dim = 16, gan.latent_dim
    g_count = gan.num_generator_params
    params = glorot_params(model, seed=1)
    images, _ = load_fashion_slice(n)
    images = np.ascontiguousarray(images.reshape(n, 28, 28))
    rng = np.random.default_rng(7)
    z_d = rng.standard_normal((n, latent_dim)).astype(np.float32)
    z_g = rng.standard_normal((n, latent_dim)).astype(np.float32)
    rngs = [np.array([1, k], np.uint64) for k in range(3)]
    # Wasserstein loss: the gradient penalty's interpolation weights (one
    # per sample, repeated over its pixels) and its random state.
    wasserstein = gan.loss == 2
    eps = rng.uniform(size=(n, 1, 1)).astype(np.float32)
    interpolation = np.ascontiguousarray(
        np.broadcast_to(eps, (n, 28, 28)).astype(np.float32))
    d_extra = ([interpolation] if wasserstein else []) + rngs + \
        ([np.array([1, 9], np.uint64)] if wasserstein else [])

    # Kiln.
    loss = np.zeros(3, np.float32)
    scalars = [loss[i:i + 1] for i in range(3)]
    d_grads = [np.zeros_like(p) for p in params]
    gan.discriminator_step(n, buffers(params + [images, z_d] + d_extra +
                                      scalars + d_grads))
    g_loss = np.zeros(1, np.float32)
    g_grads = [np.zeros_like(p) for p in params]
    gan.generator_step(n, buffers(params + [z_g] + rngs[:2] + [g_loss] +
                                  g_grads))

    # PyTorch, float64.
    t = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
         for p in params]
    act = torch.nn.functional.leaky_relu

    def generator(z):
        h = act(z @ t[0] + t[1], 0.2)
        h = act(h @ t[2] + t[3], 0.2)
        return torch.tanh(h @ t[4] + t[5]).reshape(-1, 28, 28)

    def discriminator(x):
        h = x.reshape(x.shape[0], -1)
        h = act(h @ t[6] + t[7], 0.2)
        h = act(h @ t[8] + t[9], 0.2)
        return h @ t[10] + t[11]

    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real = torch.tensor(images, dtype=torch.float64) * gan.image_scale + \
        gan.image_offset
    fake = generator(torch.tensor(z_d, dtype=torch.float64)).detach()
    s_real, s_fake = discriminator(real), discriminator(fake)
    relu = torch.relu
    if gan.loss == 0:
        ref_d = bce(s_real, torch.ones_like(s_real)) + \
            bce(s_fake, torch.zeros_like(s_fake))
    elif gan.loss == 1:
        ref_d = relu(1 - s_real).mean() + relu(1 + s_fake).mean()
    else:
        # The critic's loss plus λ·mean((‖∂D(x̂)/∂x̂‖ - 1)²) on the
        # interpolates, with the input gradient kept in the graph.
        e = torch.tensor(eps, dtype=torch.float64)
        mixed = (fake + e * (real - fake)).requires_grad_(True)
        (g,) = torch.autograd.grad(discriminator(mixed).sum(), mixed,
                                   create_graph=True)
        norms = torch.sqrt(g.reshape(n, -1).pow(2).sum(1) + 1e-12)
        ref_d = s_fake.mean() - s_real.mean() + \
            gan.gradient_penalty_weight * ((norms - 1) ** 2).mean()
    ref_d_grads = torch.autograd.grad(ref_d, t[g_count:])
    ref_real_acc = float((s_real > 0).double().mean())
    ref_fake_acc = float((s_fake <= 0).double().mean())
    s = discriminator(generator(torch.tensor(z_g, dtype=torch.float64)))
    ref_g = bce(s, torch.ones_like(s)) if gan.loss == 0 else -s.mean()
    ref_g_grads = torch.autograd.grad(ref_g, t[:g_count])

    def rel(a, b):
        b = b.detach().numpy()
        return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))

    worst = 0.0
    checks = [("d_loss", loss[0:1], ref_d.reshape(1)),
              ("g_loss", g_loss, ref_g.reshape(1))]
    for (name, _, _), grad, ref in zip(model.params[g_count:],
                                       d_grads[g_count:], ref_d_grads):
        checks.append(("d step: " + name, grad, ref))
    for (name, _, _), grad, ref in zip(model.params[:g_count],
                                       g_grads[:g_count], ref_g_grads):
        checks.append(("g step: " + name, grad, ref))
    for name, value, ref in checks:
        error = rel(value, ref)
        worst = max(worst, error)
        if error > 1e-4:
            sys.exit("FAIL %s: relative error %.3g" % (name, error))
    if loss[1] != ref_real_acc or loss[2] != ref_fake_acc:
        sys.exit("FAIL accuracies %s vs %s" %
                 (loss[1:], (ref_real_acc, ref_fake_acc)))
    for name, grads in [("d step, generator", d_grads[:g_count]),
                        ("g step, discriminator", g_grads[g_count:])]:
        if any(np.any(g != 0) for g in grads):
            sys.exit("FAIL %s gradients are not zero" % name)
    # Finite differences of each step's own loss along directions of the
    # parameters it trains, (L(θ + εv) - L(θ - εv)) / 2ε against g·v: v is
    # the gradient plus as large a random part, so that g·v is well above
    # float32 round-off while a wrong component of g still shows.
    def d_loss_at(ps):
        out = np.zeros(3, np.float32)
        scratch = [np.zeros_like(p) for p in ps]
        gan.discriminator_step(n, buffers(ps + [images, z_d] + d_extra +
                                          [out[i:i + 1] for i in range(3)] +
                                          scratch))
        return float(out[0])

    def g_loss_at(ps):
        out = np.zeros(1, np.float32)
        scratch = [np.zeros_like(p) for p in ps]
        gan.generator_step(n, buffers(ps + [z_g] + rngs[:2] + [out] +
                                      scratch))
        return float(out[0])

    directions = np.random.default_rng(11)
    worst_fd = 0.0
    # With the gradient penalty of a LeakyReLU critic the discriminator's
    # loss is continuous but its gradient jumps wherever a unit's mask
    # flips (the penalty reads the masks), so finite differences do not
    # converge there; PyTorch's double backward above checks that step
    # exactly, and test/kilnc/gradient-penalty.test checks the penalty by
    # finite differences on a smooth critic.
    steps = [("generator", g_loss_at, g_grads, range(g_count))]
    if not wasserstein:
        steps.insert(0, ("discriminator", d_loss_at, d_grads,
                         range(g_count, len(params))))
    for name, loss_at, grads, trained in steps:
        for _ in range(3):
            r = [directions.standard_normal(p.shape).astype(np.float32)
                 if i in trained else np.zeros_like(p)
                 for i, p in enumerate(params)]
            g_norm = np.sqrt(sum(float((g * g).sum()) for g in grads))
            r_norm = np.sqrt(sum(float((x * x).sum()) for x in r))
            v = [g / g_norm + x / r_norm if i in trained else x
                 for i, (g, x) in enumerate(zip(grads, r))]
            norm = np.sqrt(sum(float((x * x).sum()) for x in v))
            v = [x / norm for x in v]
            eps = 1e-3
            plus = [p + eps * x for p, x in zip(params, v)]
            minus = [p - eps * x for p, x in zip(params, v)]
            numeric = (loss_at(plus) - loss_at(minus)) / (2 * eps)
            analytic = sum(float((g * x).sum()) for g, x in zip(grads, v))
            error = abs(numeric - analytic) / max(abs(analytic), 1e-3)
            worst_fd = max(worst_fd, error)
            if error > 2e-3:
                sys.exit("FAIL %s step: finite difference %.6g, gradient "
                         "%.6g" % (name, numeric, analytic))
    print("gan steps match PyTorch: worst relative error %.2g; finite "
          "differences within %.2g" % (worst, worst_fd))


if __name__ == "__main__":
    main()
