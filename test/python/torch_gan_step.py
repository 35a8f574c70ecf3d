"""One discriminator step and one generator step of examples/mlp_gan.json
(compiled with `kilnc --emit=shared`) against PyTorch in float64, on the
same parameters, images and latent vectors.

The discriminator's step must return the loss BCE(D(real), 1) + BCE(D(G(z)),
0) on logits, both accuracies and the gradients of the discriminator's
parameters, with exact zeros for the generator's (the generated images are
constants to it). The generator's step must return BCE(D(G(z)), 1) and the
generator's gradients through the discriminator, with zeros for the
discriminator's. A reference that forgets the detach (the discriminator's
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

    # Kiln.
    loss = np.zeros(3, np.float32)
    scalars = [loss[i:i + 1] for i in range(3)]
    d_grads = [np.zeros_like(p) for p in params]
    gan.discriminator_step(n, buffers(params + [images, z_d] + rngs +
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
    ref_d = bce(s_real, torch.ones_like(s_real)) + \
        bce(s_fake, torch.zeros_like(s_fake))
    ref_d_grads = torch.autograd.grad(ref_d, t[g_count:])
    ref_real_acc = float((s_real > 0).double().mean())
    ref_fake_acc = float((s_fake <= 0).double().mean())
    s = discriminator(generator(torch.tensor(z_g, dtype=torch.float64)))
    ref_g = bce(s, torch.ones_like(s))
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
    print("gan steps match PyTorch: worst relative error %.2g" % worst)


if __name__ == "__main__":
    main()
