#!/usr/bin/env python3
"""Sums up the paired runs of paired.sh: for each batch size and worker count, the median over the
runs of each executor's median step time, of the per-run ratio Dispatch / pool (with quartiles and
how many runs Dispatch won), and of the waiting time at joins. With --csv, prints every run's rows
as one CSV instead (what paired.csv holds)."""
import csv
import glob
import re
import statistics
import sys

folder = sys.argv[1]
runs = {}
for path in glob.glob(f"{folder}/b*-r*/scale.csv"):
    batch, run = map(int, re.search(r"b(\d+)-r(\d+)/scale\.csv$", path).groups())
    runs[(batch, run)] = list(csv.DictReader(open(path)))

if "--csv" in sys.argv:
    rows = [dict(run=run, order=i, **row) for (batch, run), table in sorted(runs.items()) for i, row in enumerate(table)]
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.exit()

digests = {}
for batch in sorted({b for b, _ in runs}):
    tables = [runs[key] for key in sorted(runs) if key[0] == batch]
    for threads in sorted({int(r["threads"]) for t in tables for r in t}):
        def column(executor, name):
            return [float(next(r for r in t if r["executor"] == executor and int(r["threads"]) == threads)[name]) for t in tables]
        pool, dispatch = column("pool", "median_ms"), column("dispatch", "median_ms")
        ratios = [d / p for p, d in zip(pool, dispatch)]
        low, _, high = statistics.quantiles(ratios, n=4)
        print(f"batch {batch}, {threads} worker(s), {len(ratios)} runs: median step pool {statistics.median(pool):.2f} ms, "
              f"dispatch {statistics.median(dispatch):.2f} ms; dispatch/pool median {statistics.median(ratios):.3f} "
              f"(quartiles {low:.3f}-{high:.3f}), dispatch faster in {sum(r < 1 for r in ratios)} of {len(ratios)}; "
              f"waiting ms per step and worker: pool {statistics.median(column('pool', 'waiting_ms')):.2f}, "
              f"dispatch {statistics.median(column('dispatch', 'waiting_ms')):.2f}; allocations per step: "
              f"pool {statistics.median(column('pool', 'allocations_per_step')):.0f}, "
              f"dispatch {statistics.median(column('dispatch', 'allocations_per_step')):.0f}")
    digests[batch] = {r["weights_sha256"] for t in tables for r in t}
for batch, found in digests.items():
    print(f"batch {batch}: {len(found)} distinct weights digest(s) over every run and executor: {', '.join(sorted(found))}")
