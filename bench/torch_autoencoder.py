"""PyTorch eager reference for the convolutional autoencoder of
examples/conv_autoencoder.json: the same layers (Conv2D 32 → MaxPool →
Conv2D 16 → MaxPool → Conv2D 16 → UpSampling 2 → ConvTranspose 32, stride
2 → Conv2D 1, sigmoid; 3×3 kernels, `same` padding), binary cross-entropy
against the input scaled to [0, 1], Adam with Keras's epsilon, shuffled
batches of 32, on pre-loaded tensors. The transposed convolution uses
PyTorch's padding=1, output_padding=1 (the same 28×28 output and cost;
its window sits one pixel from TensorFlow's SAME placement). Prints one
JSON line per epoch, then the test set's binary cross-entropy and MSE.

Run it through bench_autoencoder.py, which sets OPENBLAS_NUM_THREADS=1."""

import json

import torch
import torch.nn.functional as F

from torch_common import load, parse_args, train


class ConvAutoencoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc_conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.enc_conv2 = torch.nn.Conv2d(32, 16, 3, padding=1)
        self.dec_conv1 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.dec_deconv = torch.nn.ConvTranspose2d(16, 32, 3, stride=2,
                                                   padding=1,
                                                   output_padding=1)
        self.dec_out = torch.nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.enc_conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.enc_conv2(x)), 2)
        x = F.interpolate(torch.relu(self.dec_conv1(x)), scale_factor=2,
                          mode="nearest")
        x = torch.relu(self.dec_deconv(x))
        return torch.sigmoid(self.dec_out(x))


def main():
    args = parse_args()
    x, _ = load(args.data, "train", (1, 28, 28))
    xt, _ = load(args.data, "t10k", (1, 28, 28))
    x, xt = x / 255.0, xt / 255.0
    model = ConvAutoencoder()
    train(model, x, lambda idx, batch: batch, F.binary_cross_entropy, args)
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(xt[i:i + 1000])
                         for i in range(0, len(xt), 1000)])
        bce = F.binary_cross_entropy(out, xt).item()
        mse = F.mse_loss(out, xt).item()
    print(json.dumps({"test_bce": bce, "test_mse": mse}))


if __name__ == "__main__":
    main()
