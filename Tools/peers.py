"""The peers of thinned's training step: JAX and PyTorch on W1, W2 and W3, measured on this machine.

Run it through Tools/peers, which installs pinned jax[cpu] and torch into a throwaway virtual
environment under /tmp and runs this file with that environment's Python:

    Tools/peers [--quick] [--threads 1,2] [--workloads W1,W2,W3] [--peers jax,torch]
                [--modes batched,per-sample] [--out peers.csv]

The model is thinned's reference MLP, 784-512-512-512-512-10 with ReLU, Xavier-uniform weights and
zero biases, inverted dropout on the input and after every hidden ReLU, softmax cross-entropy:

    W1  batch 100,  dropout 0.2 on the input and 0.5 after each hidden ReLU, SGD lr 0.1
    W2  batch 1000, the same
    W3  batch 100,  dropout 0.3 on the input and after each hidden ReLU, Adam lr 0.001

Two ways to take one training step, for each peer:

    batched     one dropout mask per sample (a mask of shape [batch, features], as dropout draws
                it), one gradient of the batch's mean loss. JAX: `jax.jit` of `value_and_grad` and
                the update. PyTorch: `nn.Sequential`, `loss.backward()`, `optimizer.step()`.
    per-sample  Algorithm 5-8 read literally: every sample's own gradient through its own thinned
                network, then their mean and one update. JAX: `jax.vmap(jax.value_and_grad)` of the
                per-sample loss, each sample with its own dropout key, the mean and the update, all
                under one `jax.jit`. PyTorch: `torch.func.vmap(torch.func.grad_and_value(...),
                randomness="different")` over `functional_call`, the mean, `optimizer.step()`.

The driver (this file without --worker) needs only the standard library. It runs every
(peer, mode, workload, threads) configuration in a process of its own, pinned with `taskset -c` to
the first n CPUs this process may use (cores 0..n-1 on an unrestricted machine), so the thread count
is real: PyTorch gets `torch.set_num_threads(n)` and `torch.set_num_interop_threads(1)`; XLA sizes its
CPU thread pool from the CPUs it may run on, and at 1 thread also gets XLA_FLAGS turning Eigen's
multi-threading off. A configuration takes warm-up steps (JAX compiles in the first), then
`--repeats` timed runs of `--steps` steps each; its figure is the median over the runs of
samples per second, with the slowest and fastest run beside it. The time is the step alone: the
batches (Fashion-MNIST when the Debian package `dataset-fashion-mnist` is installed, else uniform
noise; the data does not change the arithmetic) are in memory before the clock starts, and a run
ends when its last step's results are ready (JAX dispatches asynchronously).

Each configuration prints one line, `peer mode workload threads samples/s (median) [min-max]
version`, and --out writes the same as CSV with what is needed to judge it: the CPUs it was pinned
to, its CPU seconds per second (how many threads really worked), the seconds per second its threads
spent runnable but waiting for a CPU (the kernel's run_delay: above 0.05 other processes shared its
cores, and the line says so, for such a figure is not quotable), the first and last loss (a check
that it trained), its peak resident memory, and the data it ran on.
"""
import argparse
import csv
import datetime
import gzip
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

LAYERS = (784, 512, 512, 512, 512, 10)
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
FASHION_MNIST_LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"
# Distinct batches cycled through during a run, so no step sees the same inputs as the one before.
BATCHES_IN_MEMORY = 5
SEED = 42

PEERS = ("jax", "torch")
MODES = ("batched", "per-sample")
WORKLOADS = {
    "W1": dict(batch=100, p_input=0.2, p_hidden=0.5, optimizer="sgd", learning_rate=0.1),
    "W2": dict(batch=1000, p_input=0.2, p_hidden=0.5, optimizer="sgd", learning_rate=0.1),
    "W3": dict(batch=100, p_input=0.3, p_hidden=0.3, optimizer="adam", learning_rate=0.001),
}
# (warm-up steps, timed runs, steps per run): the full measurement and --quick.
FULL = (5, 5, 20)
QUICK = (2, 3, 3)
# The least a full measurement may use, as issue 11 asks: a median over at least 5 runs of 20 steps.
LEAST_REPEATS, LEAST_STEPS = 5, 20
# Seconds per second that the configuration's threads, together, spent runnable but waiting for a
# CPU (the kernel's schedstat run_delay). Above this, other processes shared its cores: a line says so.
BUSY_WAITING_SECONDS_PER_SECOND = 0.05
# XLA's CPU client sizes its intra-op thread pool from the CPUs the process may run on, so taskset
# sets JAX's thread count. At 1 thread Eigen's own multi-threading is also turned off.
# (`intra_op_parallelism_threads` is a field of XLA's compile options, not an XLA_FLAGS flag: jaxlib
# 0.10.2 ignores it there without a word, so it is not given.)
XLA_FLAGS_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"
CSV_FIELDS = ("peer", "mode", "workload", "batch", "threads", "cpus", "samples_per_second_median",
              "samples_per_second_min", "samples_per_second_max", "warmup_steps", "repeats", "steps",
              "cpu_seconds_per_second", "waiting_seconds_per_second", "first_loss", "last_loss", "peak_rss_mib", "data", "version",
              "cpu_model", "date")


# ----------------------------------------------------------------------------------------------
# The driver: arguments, the header, one pinned process per configuration, the table and the CSV.

def comma_list(allowed):
    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"'{text}': expected a comma-separated list of {', '.join(allowed)}")
        for item in items:
            if item not in allowed:
                raise argparse.ArgumentTypeError(f"'{item}': expected one of {', '.join(allowed)}")
        return items
    return parse


def thread_list(text):
    try:
        counts = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected thread counts such as 1,2")
    if not counts or any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError(f"'{text}': expected positive thread counts such as 1,2")
    return counts


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected a positive whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}': expected a positive whole number")
    return value


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="Tools/peers",
        description="Measures JAX and PyTorch training steps (batched and per-sample) on thinned's "
                    "workloads W1, W2, W3, each configuration in its own process pinned to cores 0..n-1. "
                    "Needs network access only for the first install of its virtual environment.")
    parser.add_argument("--quick", action="store_true",
                        help=f"a short check that everything runs: {QUICK[0]} warm-up steps, {QUICK[1]} runs of "
                             f"{QUICK[2]} steps (the full measurement: {FULL[0]}, {FULL[1]} of {FULL[2]}); not for quoting")
    parser.add_argument("--threads", type=thread_list, default=[1, 2],
                        help="thread counts, comma-separated (default: 1,2); each at most the usable CPUs")
    parser.add_argument("--workloads", type=comma_list(tuple(WORKLOADS)), default=list(WORKLOADS),
                        help="workloads, comma-separated (default: W1,W2,W3)")
    parser.add_argument("--peers", type=comma_list(PEERS), default=list(PEERS),
                        help="peers, comma-separated (default: jax,torch)")
    parser.add_argument("--modes", type=comma_list(MODES), default=list(MODES),
                        help="steps, comma-separated (default: batched,per-sample)")
    parser.add_argument("--repeats", type=positive, default=None,
                        help=f"timed runs per configuration (default: {FULL[1]}; at least {LEAST_REPEATS} without --quick)")
    parser.add_argument("--steps", type=positive, default=None,
                        help=f"steps per timed run (default: {FULL[2]}; at least {LEAST_STEPS} without --quick)")
    parser.add_argument("--timeout", type=positive, default=1800,
                        help="seconds one configuration may take before it is killed and reported as failed (default: 1800)")
    parser.add_argument("--out", metavar="FILE", help="write the results as CSV to FILE")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    # Tools/peers checks the arguments with the system Python before it installs anything.
    parser.add_argument("--check-arguments", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    warmup, repeats, steps = QUICK if arguments.quick else FULL
    arguments.warmup = warmup
    arguments.repeats = arguments.repeats or repeats
    arguments.steps = arguments.steps or steps
    if not arguments.quick and arguments.worker is None:
        if arguments.repeats < LEAST_REPEATS:
            parser.error(f"--repeats {arguments.repeats}: a measurement needs at least {LEAST_REPEATS} (or use --quick)")
        if arguments.steps < LEAST_STEPS:
            parser.error(f"--steps {arguments.steps}: a measurement needs at least {LEAST_STEPS} (or use --quick)")
    usable = sorted(os.sched_getaffinity(0))
    for count in arguments.threads:
        if count > len(usable):
            parser.error(f"--threads {count}: this process may use only {len(usable)} CPUs ({cpu_ranges(usable)})")
    if arguments.out and arguments.worker is None:
        folder = os.path.dirname(os.path.abspath(arguments.out))
        if not os.path.isdir(folder):
            parser.error(f"--out {arguments.out}: the folder {folder} does not exist")
    return arguments


def cpu_ranges(cpus):
    return ",".join(str(cpu) for cpu in cpus)


def cpu_model():
    model, flags = platform.processor() or "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = value.split()
                    break
    except OSError:
        pass
    simd = [flag for flag in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if flag in flags]
    return model, simd


def package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def peer_version(peer):
    if peer == "jax":
        jax, jaxlib = package_version("jax"), package_version("jaxlib")
        return jax if jax == jaxlib else f"{jax}/jaxlib-{jaxlib}"
    return package_version("torch")


def print_header(arguments, model, simd):
    usable = sorted(os.sched_getaffinity(0))
    versions = ", ".join(f"{name} {package_version(name) or 'missing'}"
                         for name in ("jax", "jaxlib", "torch", "numpy"))
    print(f"peers: {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}")
    print(f"CPU: {model} ({' '.join(simd) or 'no AVX2'}), {len(usable)} usable CPUs ({cpu_ranges(usable)}),"
          f" {os.cpu_count()} online")
    print(f"Python {platform.python_version()} at {sys.executable}; {versions}")
    print(f"environment: {sys.prefix} (throwaway; network access was needed only for its first install)")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "XLA_FLAGS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if name in os.environ:
            print(f"  {name}={os.environ[name]} (given; each configuration's process sets its own thread variables)")
    print("model: " + "-".join(map(str, LAYERS)) + ", ReLU, inverted dropout, softmax cross-entropy")
    for name in arguments.workloads:
        w = WORKLOADS[name]
        print(f"  {name}: batch {w['batch']}, dropout {w['p_input']} input / {w['p_hidden']} hidden,"
              f" {w['optimizer'].upper() if w['optimizer'] == 'sgd' else 'Adam'} lr {w['learning_rate']}")
    print(f"timing: {arguments.warmup} warm-up steps, then the median of {arguments.repeats} runs of"
          f" {arguments.steps} steps{' (--quick: a check, not a measurement)' if arguments.quick else ''}")
    print(f"JAX at 1 thread: XLA_FLAGS='{XLA_FLAGS_ONE_THREAD}'; at n threads: taskset alone."
          " PyTorch: torch.set_num_threads(n), torch.set_num_interop_threads(1).")
    print()
    print(f"{'peer':<6} {'mode':<10} {'workload':<8} {'threads':>7} {'samples/s':>10} {'[min-max]':<17} version")
    sys.stdout.flush()


def run_configuration(arguments, peer, mode, workload, threads):
    cpus = sorted(os.sched_getaffinity(0))[:threads]
    environment = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        environment[name] = str(threads)
    environment["JAX_PLATFORMS"] = "cpu"
    environment.pop("XLA_FLAGS", None)
    if peer == "jax" and threads == 1:
        environment["XLA_FLAGS"] = XLA_FLAGS_ONE_THREAD
    command = ["taskset", "-c", cpu_ranges(cpus), sys.executable, os.path.abspath(__file__),
               "--worker", f"{peer}:{mode}:{workload}", "--threads", str(threads),
               "--repeats", str(arguments.repeats), "--steps", str(arguments.steps)]
    if arguments.quick:
        command.append("--quick")
    try:
        finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=arguments.timeout)
    except subprocess.TimeoutExpired:
        return None, f"killed after --timeout {arguments.timeout} s"
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    if finished.returncode != 0 or not lines:
        # The exception's own line, not the notes Python and JAX print after it.
        errors = finished.stderr.strip().splitlines() or ["no output"]
        named = [line for line in errors if not line[:1].isspace() and ("Error" in line or "Exception" in line)]
        return None, f"exit status {finished.returncode}: {(named or errors)[-1]}"
    result = json.loads(lines[-1])
    result["cpus"] = cpu_ranges(cpus)
    return result, None


def main(argv):
    arguments = parse_arguments(argv)
    if arguments.check_arguments:
        return 0
    if arguments.worker:
        return worker(arguments)
    if shutil.which("taskset") is None:
        sys.exit("Tools/peers: taskset (util-linux) is needed to pin each configuration to its cores")
    model, simd = cpu_model()
    print_header(arguments, model, simd)
    date = datetime.date.today().isoformat()
    rows, failures, notes = [], 0, set()
    for peer in arguments.peers:
        for mode in arguments.modes:
            for workload in arguments.workloads:
                for threads in arguments.threads:
                    result, error = run_configuration(arguments, peer, mode, workload, threads)
                    if error:
                        failures += 1
                        print(f"{peer:<6} {mode:<10} {workload:<8} {threads:>7} FAILED: {error}", flush=True)
                        continue
                    runs = result["samples_per_second"]
                    median = statistics.median(runs)
                    version = peer_version(peer)
                    waiting = result["waiting_seconds_per_second"]
                    busy = ""
                    if waiting is not None and waiting > BUSY_WAITING_SECONDS_PER_SECOND:
                        busy = f"  (busy cores: its threads waited {waiting:.2f} s/s for a CPU)"
                        notes.add("busy cores: other processes ran on the pinned cores; such lines are not quotable")
                    print(f"{peer:<6} {mode:<10} {workload:<8} {threads:>7} {median:>10.0f}"
                          f" {f'[{min(runs):.0f}-{max(runs):.0f}]':<17} {version}{busy}", flush=True)
                    notes.update(result.get("notes", []))
                    rows.append(dict(
                        peer=peer, mode=mode, workload=workload, batch=WORKLOADS[workload]["batch"],
                        threads=threads, cpus=result["cpus"], samples_per_second_median=round(median, 1),
                        samples_per_second_min=round(min(runs), 1), samples_per_second_max=round(max(runs), 1),
                        warmup_steps=arguments.warmup, repeats=arguments.repeats, steps=arguments.steps,
                        cpu_seconds_per_second=round(result["cpu_seconds_per_second"], 2),
                        waiting_seconds_per_second=None if waiting is None else round(waiting, 3),
                        first_loss=round(result["first_loss"], 4), last_loss=round(result["last_loss"], 4),
                        peak_rss_mib=round(result["peak_rss_mib"]), data=result["data"], version=version,
                        cpu_model=model, date=date))
    for note in sorted(notes):
        print(f"note: {note}")
    if arguments.out:
        with open(arguments.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows to {arguments.out}")
    if failures:
        print(f"Tools/peers: {failures} configuration(s) failed", file=sys.stderr)
        return 1
    return 0


# ----------------------------------------------------------------------------------------------
# A worker: one configuration in a pinned process of its own, one JSON line on stdout.

def load_batches(batch):
    """BATCHES_IN_MEMORY batches of (images [batch, 784] float32 in [0, 1], labels [batch] int64)."""
    import numpy as np
    count = batch * BATCHES_IN_MEMORY
    try:
        with gzip.open(FASHION_MNIST, "rb") as f:
            header = f.read(16)
            if int.from_bytes(header[:4], "big") != 0x803 or int.from_bytes(header[4:8], "big") < count:
                raise ValueError(f"{FASHION_MNIST}: not an IDX image file with {count} images")
            pixels = np.frombuffer(f.read(count * 784), dtype=np.uint8)
        with gzip.open(FASHION_MNIST_LABELS, "rb") as f:
            f.read(8)
            labels = np.frombuffer(f.read(count), dtype=np.uint8)
        if pixels.size != count * 784 or labels.size != count:
            raise ValueError(f"{FASHION_MNIST}: truncated")
        images, data = pixels.reshape(count, 784).astype(np.float32) / 255.0, "fashion-mnist"
    except (OSError, ValueError):
        generator = np.random.default_rng(SEED)
        images = generator.random((count, 784), dtype=np.float32)
        labels = generator.integers(0, 10, count)
        data = "uniform noise"
    labels = labels.astype(np.int64)
    return [(images[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch])
            for i in range(BATCHES_IN_MEMORY)], data


def waiting_seconds():
    """Seconds this process's threads have spent runnable but not running (run_delay), or None if unknown."""
    total = 0
    try:
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
            except FileNotFoundError:
                pass  # the thread ended
    except OSError:
        return None
    return total / 1e9


def measure(step, batches, batch, arguments, ready):
    """Runs warm-up steps, then the timed runs; `step(i, x, y)` returns the step's loss (maybe not yet ready)."""
    import resource
    import time
    losses = []
    index = 0
    for _ in range(arguments.warmup):
        x, y = batches[index % len(batches)]
        loss = step(index, x, y)
        ready(loss)
        losses.append(float(loss))
        index += 1
    samples_per_second, cpu_seconds, wall_seconds, waited = [], 0.0, 0.0, waiting_seconds()
    for _ in range(arguments.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(arguments.steps):
            x, y = batches[index % len(batches)]
            loss = step(index, x, y)
            index += 1
        ready(loss)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        samples_per_second.append(batch * arguments.steps / wall)
        cpu_seconds += cpu
        wall_seconds += wall
    if waited is not None:
        waited = (waiting_seconds() - waited) / wall_seconds
    return dict(samples_per_second=samples_per_second, cpu_seconds_per_second=cpu_seconds / wall_seconds,
                waiting_seconds_per_second=waited,
                first_loss=losses[0], last_loss=float(loss),
                peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def jax_step(mode, w):
    """The step of one configuration in JAX; returns (step(i, x, y) -> loss, ready(loss), put(x, y))."""
    import math
    from functools import partial
    import jax
    import jax.numpy as jnp

    def dropout(h, p, key):
        if p == 0:
            return h
        keep = 1.0 - p
        return jnp.where(jax.random.bernoulli(key, keep, h.shape), h / keep, 0.0)

    def loss_of(params, x, y, key):
        # x: [batch, 784] or one sample [784]; every sample gets its own rows of every mask.
        keys = jax.random.split(key, len(params))
        h = dropout(x, w["p_input"], keys[0])
        for layer, (weight, bias) in enumerate(params):
            h = h @ weight + bias
            if layer < len(params) - 1:
                h = dropout(jax.nn.relu(h), w["p_hidden"], keys[layer + 1])
        log_p = jnp.atleast_2d(jax.nn.log_softmax(h))
        return -jnp.mean(jnp.take_along_axis(log_p, jnp.atleast_1d(y)[:, None], axis=-1))

    def gradient(params, x, y, key):
        if mode == "batched":
            return jax.value_and_grad(loss_of)(params, x, y, key)
        keys = jax.random.split(key, x.shape[0])
        losses, grads = jax.vmap(jax.value_and_grad(loss_of), in_axes=(None, 0, 0, 0))(params, x, y, keys)
        return losses.mean(), jax.tree_util.tree_map(lambda g: g.mean(axis=0), grads)

    key = jax.random.key(SEED)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        key, sub = jax.random.split(key)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        params.append((jax.random.uniform(sub, (fan_in, fan_out), jnp.float32, -limit, limit),
                       jnp.zeros(fan_out, jnp.float32)))
    # m and v are separate buffers: the step donates both.
    state = (jax.tree_util.tree_map(jnp.zeros_like, params), jax.tree_util.tree_map(jnp.zeros_like, params),
             jnp.zeros((), jnp.int32)) if w["optimizer"] == "adam" else ()
    dropout_key = jax.random.key(SEED + 1)
    lr = w["learning_rate"]

    def update(params, state, grads):
        if w["optimizer"] == "sgd":
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state
        # torch.optim.Adam's defaults: betas (0.9, 0.999), eps 1e-8, bias-corrected moments.
        b1, b2, eps = 0.9, 0.999, 1e-8
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
        return params, (m, v, t)

    @partial(jax.jit, donate_argnums=(0, 1))
    def train_step(params, state, x, y, index):
        loss, grads = gradient(params, x, y, jax.random.fold_in(dropout_key, index))
        params, state = update(params, state, grads)
        return params, state, loss

    carried = [params, state]

    def step(index, x, y):
        carried[0], carried[1], loss = train_step(carried[0], carried[1], x, y, index)
        return loss

    return step, lambda loss: loss.block_until_ready(), lambda x, y: (jnp.asarray(x), jnp.asarray(y, jnp.int32))


def torch_step(mode, w, threads):
    """The step of one configuration in PyTorch; returns (step(i, x, y) -> loss, ready(loss), put(x, y))."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.func import functional_call, grad_and_value, vmap

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(SEED)
    modules = [nn.Dropout(w["p_input"])]
    for layer, (fan_in, fan_out) in enumerate(zip(LAYERS[:-1], LAYERS[1:])):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if layer < len(LAYERS) - 2:
            modules += [nn.ReLU(), nn.Dropout(w["p_hidden"])]
    model = nn.Sequential(*modules).train()
    if w["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=w["learning_rate"])
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=w["learning_rate"])

    if mode == "batched":
        def step(index, x, y):
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss.detach()
    else:
        # Views of the live parameters: the optimizer's in-place updates are seen by the next step.
        params = {name: p.detach() for name, p in model.named_parameters()}

        def sample_loss(params, x, y):
            return F.cross_entropy(functional_call(model, params, (x.unsqueeze(0),)), y.unsqueeze(0))

        per_sample = vmap(grad_and_value(sample_loss), in_dims=(None, 0, 0), randomness="different")

        def step(index, x, y):
            grads, losses = per_sample(params, x, y)
            for name, p in model.named_parameters():
                p.grad = grads[name].mean(dim=0)
            optimizer.step()
            return losses.mean()

    return step, lambda loss: None, lambda x, y: (torch.from_numpy(x), torch.from_numpy(y))


def worker(arguments):
    peer, mode, workload = arguments.worker.split(":")
    threads = arguments.threads[0]
    usable = len(os.sched_getaffinity(0))
    if usable != threads:
        sys.exit(f"Tools/peers worker: pinned to {usable} CPUs, expected {threads}")
    w = WORKLOADS[workload]
    notes = []
    if peer == "jax":
        step, ready, put = jax_step(mode, w)
    else:
        step, ready, put = torch_step(mode, w, threads)
        import torch
        if torch.get_num_threads() != threads:
            sys.exit(f"Tools/peers worker: torch runs {torch.get_num_threads()} threads, expected {threads}")
        notes.append(f"torch {torch.__version__}: CPU capability {torch.backends.cpu.get_cpu_capability()},"
                     f" MKL {torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}")
    batches, data = load_batches(w["batch"])
    batches = [put(x, y) for x, y in batches]
    result = measure(step, batches, w["batch"], arguments, ready)
    result.update(data=data, notes=notes)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
