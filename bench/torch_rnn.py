"""PyTorch eager reference for the row-reading recurrent models of
examples/lstm_rows.json and examples/gru_rows.json: x/255 → LSTM(64) or
GRU(64) over the 28 rows (batch_first; PyTorch's GRU is Keras's
reset_after form) → Dense(10), Adam and batching as the Kiln executable,
on pre-loaded tensors. Prints one JSON line per epoch with seconds and
samples/s, then the test accuracy. Run it through bench_rnn.py."""

import sys

import torch

from torch_common import run


class RowReader(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        layer = torch.nn.GRU if cell == "gru" else torch.nn.LSTM
        self.rnn = layer(28, 64, batch_first=True)
        self.dense = torch.nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.rnn(x * (1.0 / 255.0))
        return self.dense(out[:, -1, :])  # logits


if __name__ == "__main__":
    cell = "lstm"
    if "--cell" in sys.argv:
        i = sys.argv.index("--cell")
        cell = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    run(lambda: RowReader(cell), (28, 28))
