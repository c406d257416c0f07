"""Reads the text `thinned scale` prints: one parser for this folder's summing-up scripts
(series_summary.py, ab_summary.py)."""
import re

TARGET = {1: 0.90, 2: 0.85}  # issue 11's roofline fractions on 1 and 2 workers


def read(path):
    """(rows, digests) of one scale output: rows[(workers, batch)] is a dict with the pool row's
    median step (ms), samples/s and roofline fraction, and the forward, backward and parameter
    phases' compute fractions, and for the work/span's base count (normally one worker) its
    strict and typical parallelism ('parallelism', 'typical'); digests[batch] is the weights' sha256."""
    rows, digests, batch, key, span = {}, {}, None, None, None
    for line in open(path):
        m = re.match(r'work/span, batch (\d+), .*tasks measured on (\d+) worker', line)
        if m:
            span = (int(m.group(2)), int(m.group(1)))
        m = re.match(r'\s+work T₁ .*parallelism T₁/T∞ ([\d.]+);.*span [\d.]+ ms, parallelism ([\d.]+)$', line)
        if m and span in rows:
            rows[span]['parallelism'], rows[span]['typical'] = float(m.group(1)), float(m.group(2))
        m = re.match(r'batch (\d+): roofline', line)
        if m:
            batch = int(m.group(1))
        m = re.match(r'\s+(\d+)\s+pool\s+\S+\s+(\d+)\s+([\d.]+) \[[\d.-]+\]\s+(\d+)\s', line)
        if m:
            key = (int(m.group(1)), batch)
            rows[key] = {'step': float(m.group(3)), 'rate': int(m.group(4)), 'fraction': float(line.split()[-1])}
        m = re.match(r'\s+\|\s+(forward|backward|parameter)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+compute', line)
        if m and key is not None:
            rows[key][m.group(1)] = float(line.split()[-1])
        m = re.match(r'weights sha256, batch (\d+): (\w+)', line)
        if m:
            digests[int(m.group(1))] = m.group(2)
    return rows, digests
