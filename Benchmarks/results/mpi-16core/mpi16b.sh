#!/usr/bin/env bash
# The final code (per-layer nonblocking sums, default groups per batch) on the 16-core node.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/m && tar -C /tmp/m -xJf "$here/thinned-mpi.tar.xz"
bin=/tmp/m/thinned-mpi/thinned
export LD_LIBRARY_PATH=/tmp/m/thinned-mpi/lib OPENBLAS_CORETYPE=SkylakeX OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=${OUT:-/tmp/out}
c=(scale --warmup 3 --steps 20 --repeat 2)
{
  echo "== $(date -u) $(nproc) cores; $(mpirun --version | head -1); $(uptime)"
  echo "== 1 x 16, tiles"
  timeout -s KILL 60 "$bin" "${c[@]}" --threads 16 --batch 100,1000 --out /tmp/b-t | grep -E "^ +16  pool|sha256"
  echo "== 1 x 16, --reduce exact (groups of 25 at batch 100, 100 at batch 1000)"
  timeout -s KILL 60 "$bin" "${c[@]}" --threads 16 --batch 100,1000 --reduce exact --out /tmp/b-e | grep -E "^ +16  pool|sha256"
  for r in 2 4; do
    echo "== mpirun -np $r x $((16 / r))"
    timeout -s KILL 90 mpirun -np $r --map-by slot:PE=$((16 / r)) --bind-to core -x LD_LIBRARY_PATH -x OPENBLAS_CORETYPE \
      "$bin" "${c[@]}" --threads $((16 / r)) --batch 100,1000 --out /tmp/b-$r | grep -v "^$\|^wrote"
  done
  echo "== mpirun -np 8 x 2"
  timeout -s KILL 90 mpirun -np 8 --map-by slot:PE=2 --bind-to core -x LD_LIBRARY_PATH -x OPENBLAS_CORETYPE \
    "$bin" "${c[@]}" --threads 2 --batch 1000 --out /tmp/b-8 | grep -v "^$\|^wrote"
} > "$out/mpi16-final.txt" 2>&1
for r in 2 4 8; do cp /tmp/b-$r/scale-ranks.csv "$out/final-ranks-$r.csv" 2>/dev/null; done
cat "$out/mpi16-final.txt"
