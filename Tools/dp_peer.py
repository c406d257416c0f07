"""Opacus 1.6, the peer of thinned's DP-SGD step, measured on this machine (issue: "per-sample
gradients as a product").

The model is W1's MLP (784-512-512-512-512-10, xavier-uniform weights, zero biases) with dropout
0.3 on the input and after every hidden ReLU, SGD lr 0.1, batch 100, on random data (the data do
not change the arithmetic). Three steps are timed, each the median over repeats of a block of
steps: PyTorch's plain batched step; Opacus with per-sample gradients from hooks (clip 1, noise
multiplier 1); Opacus ghost clipping (its fastest mode: per-sample norms without per-sample
gradients, then a second backward pass with the clipped weights).

Not for CI: run it from a throwaway virtual environment with torch and opacus installed, pinned
to the cores it may use, and quote its figures beside `thinned scale` run on the same machine in
the same session:

    taskset -c 0 /tmp/thinned-peers-venv/bin/python Tools/dp_peer.py --threads 1
    taskset -c 0,1 /tmp/thinned-peers-venv/bin/python Tools/dp_peer.py --threads 2
"""

import argparse
import statistics
import time
import warnings

import torch
from torch import nn


def model(p):
    layers, widths = [nn.Dropout(p)], [784, 512, 512, 512, 512, 10]
    for i in range(len(widths) - 1):
        linear = nn.Linear(widths[i], widths[i + 1])
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(widths) - 2:
            layers += [nn.ReLU(), nn.Dropout(p)]
    return nn.Sequential(*layers)


def measure(mode, batch, steps, repeats, dropout):
    torch.manual_seed(1)
    samples = batch * steps
    data = torch.utils.data.TensorDataset(torch.rand(samples, 784), torch.randint(0, 10, (samples,)))
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=False, drop_last=True)
    net = model(dropout)
    net.train()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    if mode != "plain":
        from opacus import PrivacyEngine

        engine = PrivacyEngine(accountant="rdp")
        made = engine.make_private(module=net, optimizer=optimizer, data_loader=loader, criterion=criterion,
                                   noise_multiplier=1.0, max_grad_norm=1.0, poisson_sampling=False, grad_sample_mode=mode)
        # Ghost clipping also wraps the loss (its two backward passes); hooks leave it as it is.
        net, optimizer, criterion, loader = made if len(made) == 4 else (made[0], made[1], criterion, made[2])
    batches = [(x, y) for x, y in loader]

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(net(x), y)
        loss.backward()
        optimizer.step()

    for x, y in batches[:3]:
        step(x, y)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for x, y in batches:
            step(x, y)
        rates.append(len(batches) * batch / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (pin with taskset to as many cores)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks; the median is reported")
    parser.add_argument("--dropout", type=float, default=0.3)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    warnings.filterwarnings("ignore")
    from importlib.metadata import version

    print(f"torch {torch.__version__}, opacus {version('opacus')}, {arguments.threads} thread(s), batch {arguments.batch}, "
          f"dropout {arguments.dropout}, median of {arguments.repeats} × {arguments.steps} steps")
    plain = None
    for mode, name in [("plain", "PyTorch batched step (not private)"), ("hooks", "Opacus per-sample hooks, clip 1, σ 1"),
                       ("ghost", "Opacus ghost clipping, clip 1, σ 1")]:
        rate = measure(mode, arguments.batch, arguments.steps if mode != "hooks" else max(2, arguments.steps // 4),
                       arguments.repeats, arguments.dropout)
        plain = plain or rate
        print(f"{name:45s} {rate:10.0f} samples/s  {rate / plain:5.2f}× of the plain step")


if __name__ == "__main__":
    main()
