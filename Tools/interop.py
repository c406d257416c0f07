"""Checks that a thinned checkpoint folder is what a PyTorch / Hugging Face user expects:
model.safetensors holds exactly the state_dict keys and shapes of
nn.Sequential(Linear, ReLU, Dropout, ..., Linear) (so load_state_dict(..., strict=True) succeeds),
optimizer.safetensors and trainer_state.json sit beside it; then runs the forward pass in numpy
on the same test images and compares the predictions with the ones
`thinned evaluate --predictions` wrote.

    python interop.py CHECKPOINT_DIR DATA_DIR PREDICTIONS_CSV
"""
import csv
import gzip
import json
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
    with open(os.path.join(checkpoint, "trainer_state.json")) as f:
        state = json.load(f)
    configuration = state["configuration"]
    layers = configuration["layers"]
    dropout, p_input, p_hidden = configuration["dropout"], configuration["p_input"], configuration["p_hidden"]

    model_path = os.path.join(checkpoint, "model.safetensors")
    model = load_file(model_path)
    with safe_open(model_path, framework="numpy") as f:
        if (f.metadata() or {}).get("format") != "pt":
            sys.exit(f"interop: {model_path}: expected metadata format 'pt', found {f.metadata()}")
    # What nn.Sequential(Linear, ReLU, Dropout, ..., Linear).state_dict() holds: a strict load
    # needs exactly these keys and shapes, nothing missing and nothing more.
    expected = {}
    for layer, (inputs, outputs) in enumerate(zip(layers, layers[1:])):
        expected[f"{3 * layer}.weight"] = (outputs, inputs)
        expected[f"{3 * layer}.bias"] = (outputs,)
    found = {k: tuple(v.shape) for k, v in model.items()}
    if found != expected:
        sys.exit(f"interop: {model_path}: tensors {found}, expected nn.Sequential's state_dict {expected}")
    if any(v.dtype != np.float32 for v in model.values()):
        sys.exit("interop: expected float32 tensors")
    optimizer = load_file(os.path.join(checkpoint, "optimizer.safetensors"))
    if configuration["optimizer"] == "adam" and set(optimizer) != {f"{s}.{k}" for s in ("exp_avg", "exp_avg_sq") for k in expected} | {"step"}:
        sys.exit(f"interop: optimizer.safetensors holds {sorted(optimizer)}")

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
    print(f"interop: {checkpoint}: model.safetensors holds exactly nn.Sequential's {len(model)} state_dict tensors "
          f"(strict load), optimizer.safetensors {len(optimizer)} tensors; {dropout} dropout; "
          f"{len(rows)} predictions, {disagree} disagree, largest probability difference {worst:.2e}")
    if disagree or worst > PROBABILITY_TOLERANCE:
        sys.exit("interop: FAILED: numpy and thinned predict differently")


if __name__ == "__main__":
    main(*sys.argv[1:4])
