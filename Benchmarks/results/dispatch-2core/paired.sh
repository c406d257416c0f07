#!/usr/bin/env bash
# Paired runs of `thinned scale` comparing the pool with Dispatch (README, "Why our own pool, not
# GCD"): RUNS runs (default 10) per batch size of BATCHES (default "100 1000": W1 and W2), each
# measuring both executors at the worker counts THREADS (default 1,2), the executors' order
# alternating from run to run so that a machine that drifts slows both alike. Then
# `paired.py OUT` sums them up. On a bigger machine: THREADS=1,2,4,8,16 RUNS=6 paired.sh OUT.
#
# Usage: Benchmarks/results/dispatch-2core/paired.sh [OUT]   (thinned from .build/release, or $THINNED)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${1:-dispatch-paired}"
bin="${THINNED:-.build/release/thinned}"
mkdir -p "$out"
for batch in ${BATCHES:-100 1000}; do
  for run in $(seq 1 "${RUNS:-10}"); do
    if (( run % 2 )); then executors=pool,dispatch; else executors=dispatch,pool; fi
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}" \
      "$bin" scale --threads "${THREADS:-1,2}" --batch "$batch" --executor "$executors" --repeat 5 \
      --out "$out/b$batch-r$run" > "$out/b$batch-r$run.txt"
    echo "batch $batch, run $run ($executors); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
