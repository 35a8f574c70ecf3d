"""Checks the files of `export --format npz` and `train --plot`.

usage: check_export_plot.py WEIGHTS.npz PLOT.svg PREDICTIONS.npy INPUTS.npy

The archive must load with numpy.load, hold every parameter with its shape
as float32, and reproduce the executable's predictions with a numpy forward
pass of the seed MLP (Dense 128 relu, Dense 10 softmax; inputs / 255). The
plot must parse as XML and hold a train and a validation curve per quantity,
axes with tick labels, and a legend.
"""

import sys
import xml.etree.ElementTree as ET

import numpy as np

weights_path, plot_path, predictions_path, inputs_path = sys.argv[1:5]

weights = np.load(weights_path)
for name in sorted(weights.files):
    array = weights[name]
    print("param", name, array.dtype, array.shape)
    assert array.dtype == np.float32 and np.all(np.isfinite(array))

x = np.load(inputs_path).reshape(-1, 784).astype(np.float32) / 255.0
hidden = np.maximum(x @ weights["dense/kernel"] + weights["dense/bias"], 0)
logits = hidden @ weights["dense_1/kernel"] + weights["dense_1/bias"]
probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
probabilities /= probabilities.sum(axis=1, keepdims=True)
predicted = np.load(predictions_path)
print("max prediction difference below 1e-5:",
      bool(np.abs(probabilities - predicted).max() < 1e-5))

ns = {"svg": "http://www.w3.org/2000/svg"}
root = ET.parse(plot_path).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
for panel in root.findall("svg:g[@class='panel']", ns):
    curves = panel.findall("svg:polyline", ns)
    kinds = sorted(c.get("class") for c in curves)
    points = [len(c.get("points").split()) for c in curves]
    xticks = [t.text for t in panel.findall("svg:text[@class='xtick']", ns)]
    yticks = panel.findall("svg:text[@class='ytick']", ns)
    labels = [t.text for t in panel.findall("svg:text", ns)
              if t.get("class") in ("xlabel", "ylabel")]
    print("panel", panel.get("id"), kinds, "points", points, "xticks", xticks,
          "yticks>=3:", len(yticks) >= 3, "labels", labels)
legend = [t.text for t in root.findall("svg:g[@class='legend']/svg:text", ns)]
print("legend", legend)
