#!/usr/bin/env python3
"""Sums up the alternating rounds of ab.sh in subfolder NAME: per binary, batch and worker count,
the median of the runs' roofline fractions [range], runs at the issue's target, and the medians of
the phases' fractions and of the step; the digests, which must agree; and each round's new step
over its base step (the two ran back to back). Run from anywhere:
python3 Benchmarks/results/scale-2core/ab_summary.py NAME"""
import glob, os, statistics as st, sys

from scale_output import TARGET, read

if len(sys.argv) != 2:
    sys.exit('usage: ab_summary.py NAME (a subfolder of Benchmarks/results/scale-2core written by ab.sh)')
folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
if not os.path.isdir(folder):
    sys.exit(f'ab_summary.py: no folder {folder}: run ab.sh {sys.argv[1]} first')
os.chdir(folder)

rounds = sorted(int(p[4:-4]) for p in glob.glob('new-*.txt'))
if not rounds:
    sys.exit(f'ab_summary.py: no new-N.txt in {os.getcwd()}: run ab.sh {sys.argv[1]} first')
runs = {(side, n): read(f'{side}-{n}.txt') for side in ('base', 'new') for n in rounds}
for batch in (100, 1000):
    for threads in (1, 2):
        for side in ('base', 'new'):
            r = [runs[(side, n)][0][(threads, batch)] for n in rounds]
            f = [x['fraction'] for x in r]
            def median(field): return st.median(x[field] for x in r)
            print(f"W{1 if batch == 100 else 2} {threads} worker(s) {side:4}: fraction {st.median(f):.3f} [{min(f):.3f}-{max(f):.3f}] "
                  f"{sum(x >= TARGET[threads] for x in f)} of {len(f)} at {TARGET[threads]}; step {median('step'):.2f} ms; "
                  f"phases fwd {median('forward'):.3f} bwd {median('backward'):.3f} param {median('parameter'):.3f}")
for batch in (100, 1000):
    for side in ('base', 'new'):
        r = [runs[(side, n)][0][(1, batch)] for n in rounds]
        if all('parallelism' in x for x in r):
            strict, typical = [x['parallelism'] for x in r], [x['typical'] for x in r]
            print(f"batch {batch} {side:4}: parallelism (1 worker's tasks) {st.median(strict):.1f} [{min(strict):.1f}-{max(strict):.1f}], "
                  f"typical {st.median(typical):.1f} [{min(typical):.1f}-{max(typical):.1f}]")
for side in ('base', 'new'):
    for batch in (100, 1000):
        print('digest', (side, batch), ' '.join(sorted({runs[(side, n)][1][batch][:8] for n in rounds})))
for batch in (100, 1000):
    for threads in (1, 2):
        ratios = [runs[('new', n)][0][(threads, batch)]['step'] / runs[('base', n)][0][(threads, batch)]['step'] for n in rounds]
        q = st.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(f"W{1 if batch == 100 else 2} {threads} worker(s): new step / base step, median {st.median(ratios):.3f} "
              f"(quartiles {q[0]:.3f}-{q[2]:.3f}), new faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds")
