"""PyTorch eager reference for the DCGAN of examples/dcgan.json on
Fashion-MNIST scaled to [-1, 1], the same architecture in NCHW:

  generator      z (100, N(0, 1)) → Dense 7·7·128 (no bias) → BatchNorm →
                 LeakyReLU 0.2 → reshape 128×7×7 → ConvTranspose 64, 4×4,
                 stride 2 (no bias) → BatchNorm → LeakyReLU 0.2 →
                 ConvTranspose 1, 4×4, stride 2 → tanh
  discriminator  Conv 64, 4×4, stride 2 → LeakyReLU 0.2 → Dropout 0.3 →
                 Conv 128, 4×4, stride 2 → LeakyReLU 0.2 → Dropout 0.3 →
                 Flatten → Dense 1 (a logit)

Keras's `same` padding of a 4×4, stride-2 window on even sizes is one
pixel on each side, PyTorch's padding=1 (28 → 14 → 7 and back).
BatchNormalization as Keras's defaults: momentum 0.99 (PyTorch's 0.01),
epsilon 1e-3. Kernels Glorot-uniform, biases zero, as Keras initializes
them. Non-saturating binary cross-entropy from logits: the discriminator
takes real images as 1 and generated ones as 0 in one batch of both, the
generator its samples as 1 (through the discriminator, whose parameters
get no gradient in that step). Adam, learning rate 2e-4, beta_1 0.5,
Keras's epsilon 1e-7, for both; batches of 64 real images, one
discriminator step per generator step, each drawing its own latent batch.

Prints one JSON line per epoch (losses, seconds, real samples per second).
With --samples FILE.npy, writes --count images of the trained generator
(inference mode: BatchNorm's moving averages) as float32 [N, 28, 28, 1] in
[-1, 1], the layout bench/gan_frechet.py measures; a FILE containing
{epoch} is written after every epoch, the epoch number in its name.

Run it through bench_gan.py, which sets OPENBLAS_NUM_THREADS=1."""

import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from torch_common import load, parse_args

LATENT = 100


class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(LATENT, 7 * 7 * 128, bias=False)
        self.bn = torch.nn.BatchNorm1d(7 * 7 * 128, eps=1e-3, momentum=0.01)
        self.deconv = torch.nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1,
                                               bias=False)
        self.bn_1 = torch.nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)
        self.deconv_1 = torch.nn.ConvTranspose2d(64, 1, 4, stride=2,
                                                 padding=1)

    def forward(self, z):
        x = F.leaky_relu(self.bn(self.dense(z)), 0.2)
        x = x.reshape(-1, 128, 7, 7)
        x = F.leaky_relu(self.bn_1(self.deconv(x)), 0.2)
        return torch.tanh(self.deconv_1(x))


class Discriminator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 64, 4, stride=2, padding=1)
        self.conv_1 = torch.nn.Conv2d(64, 128, 4, stride=2, padding=1)
        self.dropout = torch.nn.Dropout(0.3)
        self.dense = torch.nn.Linear(128 * 7 * 7, 1)

    def forward(self, x):
        x = self.dropout(F.leaky_relu(self.conv(x), 0.2))
        x = self.dropout(F.leaky_relu(self.conv_1(x), 0.2))
        return self.dense(x.reshape(x.shape[0], -1))


def keras_init(module):
    for m in module.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d,
                          torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)


def add_arguments(ap):
    # --max-samples N (the first N images) comes from torch_common.
    ap.add_argument("--samples", help="write generated images to FILE.npy "
                    "(FILE containing {epoch}: after every epoch)")
    ap.add_argument("--count", type=int, default=10000)


def save_samples(generator, path, count):
    generator.eval()
    with torch.no_grad():
        images = torch.cat([generator(torch.randn(min(1000, count - i),
                                                  LATENT))
                            for i in range(0, count, 1000)])
    np.save(path, images.permute(0, 2, 3, 1).numpy().astype(np.float32))


def train(args, x):
    generator, discriminator = Generator(), Discriminator()
    keras_init(generator)
    keras_init(discriminator)
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4,
                             betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4,
                             betas=(0.5, 0.999), eps=1e-7)
    n, batch = x.shape[0], args.batch_size
    for epoch in range(args.epochs):
        generator.train()
        discriminator.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        d_total = g_total = 0.0
        steps = 0
        for i in range(0, n, batch):
            real = x[perm[i:i + batch]]
            m = real.shape[0]
            # Discriminator step: the generator's output is a constant.
            with torch.no_grad():
                fake = generator(torch.randn(m, LATENT))
            labels = torch.cat([torch.ones(m, 1), torch.zeros(m, 1)])
            d_opt.zero_grad(set_to_none=True)
            d_loss = F.binary_cross_entropy_with_logits(
                discriminator(torch.cat([real, fake])), labels)
            d_loss.backward()
            d_opt.step()
            # Generator step through a discriminator that is not updated.
            discriminator.requires_grad_(False)
            g_opt.zero_grad(set_to_none=True)
            g_loss = F.binary_cross_entropy_with_logits(
                discriminator(generator(torch.randn(m, LATENT))),
                torch.ones(m, 1))
            g_loss.backward()
            g_opt.step()
            discriminator.requires_grad_(True)
            d_total += d_loss.item()
            g_total += g_loss.item()
            steps += 1
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch + 1, "d_loss": d_total / steps,
                          "g_loss": g_total / steps, "seconds": seconds,
                          "samples_per_second": n / seconds}), flush=True)
        if args.samples and "{epoch}" in args.samples:
            save_samples(generator, args.samples.format(epoch=epoch + 1),
                         args.count)
    return generator


def main():
    args = parse_args(add_arguments, batch_size=64)
    x, _ = load(args.data, "train", (1, 28, 28))
    if args.max_samples:
        x = x[:args.max_samples]
    x = x / 127.5 - 1.0
    generator = train(args, x)
    if args.samples and "{epoch}" not in args.samples:
        save_samples(generator, args.samples, args.count)


if __name__ == "__main__":
    main()
