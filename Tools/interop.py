"""Checks that a thinned checkpoint is an ordinary safetensors file that numpy (and so PyTorch)
can use: loads it with safetensors, checks the nn.Sequential(Linear, ReLU, Dropout, ...) names
and shapes, runs the forward pass in numpy on the same test images, and compares the
predictions with the ones `thinned evaluate --predictions` wrote.

    python interop.py CHECKPOINT DATA_DIR PREDICTIONS_CSV
"""
import csv
import gzip
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

# thinned computes in float32 with OpenBLAS; numpy here in float64: allow float32 rounding.
PROBABILITY_TOLERANCE = 1e-4


def read_images(folder):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
            count, rows, columns = (int.from_bytes(raw[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
            pixels = np.frombuffer(raw, dtype=np.uint8, offset=16, count=count * rows * columns)
            return pixels.reshape(count, rows * columns).astype(np.float64) / 255.0
    sys.exit(f"interop: no t10k images in {folder}")


def main(checkpoint, folder, predictions_csv):
    tensors = load_file(checkpoint)
    with safe_open(checkpoint, framework="numpy") as f:
        metadata = f.metadata()
    layers = [int(w) for w in metadata["layers"].split(",")]
    dropout, p_input, p_hidden = metadata["dropout"], float(metadata["p_input"]), float(metadata["p_hidden"])

    model = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    expected = {}
    for layer, (inputs, outputs) in enumerate(zip(layers, layers[1:])):
        expected[f"{3 * layer}.weight"] = (outputs, inputs)
        expected[f"{3 * layer}.bias"] = (outputs,)
    found = {k: tuple(v.shape) for k, v in model.items()}
    if found != expected:
        sys.exit(f"interop: tensors {found}, expected the nn.Sequential layout {expected}")
    if any(v.dtype != np.float32 for v in model.values()):
        sys.exit("interop: expected float32 tensors")

    rows = list(csv.DictReader(open(predictions_csv)))
    x = read_images(folder)[: len(rows)]
    for layer in range(len(layers) - 1):
        keep = 1.0 - (p_input if layer == 0 else p_hidden)
        if dropout == "vanilla":
            x = x * keep  # weight scaling at prediction
        x = x @ model[f"{3 * layer}.weight"].astype(np.float64).T + model[f"{3 * layer}.bias"]
        if layer < len(layers) - 2:
            x = np.maximum(x, 0.0)
    x = np.exp(x - x.max(axis=1, keepdims=True))
    probabilities = x / x.sum(axis=1, keepdims=True)

    theirs = np.array([[float(r[f"p{j}"]) for j in range(layers[-1])] for r in rows])
    predicted = np.array([int(r["predicted"]) for r in rows])
    worst = np.abs(probabilities - theirs).max()
    disagree = int((probabilities.argmax(axis=1) != predicted).sum())
    print(f"interop: {checkpoint}: {len(model)} tensors in nn.Sequential layout, {dropout} dropout; "
          f"{len(rows)} predictions, {disagree} disagree, largest probability difference {worst:.2e}")
    if disagree or worst > PROBABILITY_TOLERANCE:
        sys.exit("interop: FAILED: numpy and thinned predict differently")


if __name__ == "__main__":
    main(*sys.argv[1:4])
