#!/usr/bin/env bash
# Issue 13, item 6 on a 2-core machine: W2 (the reference model, batch 1000) as 2 MPI ranks × 1 worker
# against 1 process × 2 workers, in alternating rounds of the same run: the single process both with
# --reduce tiles (its default) and --reduce exact (the same bits as the ranks), then the ranks.
#   RUNS=5 Benchmarks/results/mpi-2core/ratio.sh [thinned built with --traits MPI]
set -uo pipefail
bin=${1:-.build/release/thinned}
runs=${RUNS:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
blas=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX)
common=(scale --batch 1000 --warmup 3 --steps 10 --repeat 3)
median_ms() { awk '$1 == 2 && $2 == "pool" { print $5 }'; }
for run in $(seq "$runs"); do
  tiles=$("${blas[@]}" "$bin" "${common[@]}" --threads 2 --out /tmp/ratio-t 2>/dev/null | median_ms)
  exact=$("${blas[@]}" "$bin" "${common[@]}" --threads 2 --reduce exact --out /tmp/ratio-e 2>/dev/null | median_ms)
  ranks=$("${blas[@]}" mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE "$bin" "${common[@]}" --threads 1 --out /tmp/ratio-m 2>/dev/null)
  # The slowest rank's median step (the table's second column).
  step=$(echo "$ranks" | awk '/^ +[01] +[0-9.]+/ { if ($2 > m) m = $2 } END { print m }')
  split=$(echo "$ranks" | awk '/^ +[01] +[0-9.]+/ { printf "rank %s: compute %s, communication %s, waiting %s ms; ", $1, $4, $5, $6 }')
  echo "run $run: 1x2 tiles $tiles ms, 1x2 exact $exact ms, 2x1 ranks $step ms; ratio to tiles $(awk -v a="$tiles" -v b="$step" 'BEGIN { printf "%.3f", a / b }'), to exact $(awk -v a="$exact" -v b="$step" 'BEGIN { printf "%.3f", a / b }'); $split"
done
