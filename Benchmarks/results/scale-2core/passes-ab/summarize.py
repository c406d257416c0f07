#!/usr/bin/env python3
"""Sums up the alternating rounds of run.sh: per binary, batch and worker count, the median of the
runs' roofline fractions [range], runs at the issue's target, and the medians of the phases'
fractions and of the step; the digests must agree. Run from this folder: python3 summarize.py"""
import glob, re, statistics as st
rows = {}
digests = {}
for path in sorted(glob.glob('*-[0-9]*.txt')):
    side = path.split('-')[0]
    batch = None
    threads = None
    for line in open(path):
        m = re.match(r'batch (\d+): roofline', line)
        if m: batch = int(m.group(1))
        m = re.match(r'\s+(\d+)\s+pool\s+\S+\s+(\d+)\s+([\d.]+) \[', line)
        if m:
            threads = int(m.group(1))
            r = rows.setdefault((side, batch, threads), {'frac': [], 'step': [], 'forward': [], 'backward': [], 'parameter': []})
            r['frac'].append(float(line.split()[-1])); r['step'].append(float(m.group(3)))
        m = re.match(r'\s+\|\s+(forward|backward|parameter)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+compute', line)
        if m and threads is not None:
            rows[(side, batch, threads)][m.group(1)].append(float(line.split()[-1]))
        m = re.match(r'weights sha256, batch (\d+): (\w+)', line)
        if m: digests.setdefault((side, int(m.group(1))), set()).add(m.group(2))
target = {1: 0.90, 2: 0.85}
for batch in (100, 1000):
    for threads in (1, 2):
        for side in ('base', 'new'):
            r = rows.get((side, batch, threads))
            if not r: continue
            f = r['frac']
            hit = sum(x >= target[threads] for x in f)
            print(f"W{1 if batch == 100 else 2} {threads} worker(s) {side:4}: fraction {st.median(f):.3f} [{min(f):.3f}-{max(f):.3f}] "
                  f"{hit} of {len(f)} at {target[threads]}; step {st.median(r['step']):.2f} ms; phases fwd {st.median(r['forward']):.3f} "
                  f"bwd {st.median(r['backward']):.3f} param {st.median(r['parameter']):.3f}")
for key, d in sorted(digests.items()):
    print('digest', key, ' '.join(x[:8] for x in d))

# Paired: each round's new step over its base step (the two ran back to back).
def steps(path):
    out, batch = {}, None
    for line in open(path):
        m = re.match(r'batch (\d+): roofline', line)
        if m: batch = int(m.group(1))
        m = re.match(r'\s+(\d+)\s+pool\s+\S+\s+(\d+)\s+([\d.]+) \[', line)
        if m: out[(batch, int(m.group(1)))] = float(m.group(3))
    return out
rounds = sorted(int(p[4:-4]) for p in glob.glob('new-*.txt'))
for batch in (100, 1000):
    for threads in (1, 2):
        ratios = [steps(f'new-{n}.txt')[(batch, threads)] / steps(f'base-{n}.txt')[(batch, threads)] for n in rounds]
        q = st.quantiles(ratios, n=4)
        print(f"W{1 if batch == 100 else 2} {threads} worker(s): new step / base step, median {st.median(ratios):.3f} "
              f"(quartiles {q[0]:.3f}-{q[2]:.3f}), new faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds")
