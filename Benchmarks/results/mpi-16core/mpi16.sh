#!/usr/bin/env bash
# Issue 13 on the 16-core node: thinned (MPI trait, Swift runtime static) against the node's own
# Open MPI; ranks × workers = 16, each rank bound to its own cores.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/m && tar -C /tmp/m -xJf "$here/thinned-mpi.tar.xz"
bin=/tmp/m/thinned-mpi/thinned
export LD_LIBRARY_PATH=/tmp/m/thinned-mpi/lib OPENBLAS_CORETYPE=SkylakeX
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
out=${OUT:-/tmp/out}
log=$out/mpi16.txt
common=(scale --warmup 3 --steps 20 --repeat 2)
{
  echo "== $(date -u) $(nproc) cores; $(mpirun --version | head -1)"
  ldd "$bin" | grep -E "mpi|hwloc|openblas"
  echo "== one process, 16 workers, tiles (plain)"
  timeout -s KILL 60 "$bin" "${common[@]}" --threads 16 --batch 100,1000 --out /tmp/s-plain | grep -E "^ +16  pool|sha256"
  echo "== one process, 16 workers, --reduce exact"
  timeout -s KILL 60 "$bin" "${common[@]}" --threads 16 --batch 100,1000 --reduce exact --out /tmp/s-exact | grep -E "^ +16  pool|sha256"
  for ranks in 2 4; do
    echo "== mpirun -np $ranks × $((16 / ranks)) workers"
    timeout -s KILL 90 mpirun -np $ranks --map-by slot:PE=$((16 / ranks)) --bind-to core -x LD_LIBRARY_PATH -x OPENBLAS_CORETYPE \
      "$bin" "${common[@]}" --threads $((16 / ranks)) --batch 100,1000 --out /tmp/s-$ranks
  done
  for ranks in 8 16; do
    echo "== mpirun -np $ranks × $((16 / ranks)) workers"
    timeout -s KILL 90 mpirun -np $ranks --map-by slot:PE=$((16 / ranks)) --bind-to core -x LD_LIBRARY_PATH -x OPENBLAS_CORETYPE \
      "$bin" "${common[@]}" --threads $((16 / ranks)) --batch 1000 --out /tmp/s-$ranks
  done
  echo "== topology of rank 1 of 4"
  timeout -s KILL 30 mpirun -np 4 --map-by slot:PE=4 --bind-to core -x LD_LIBRARY_PATH "$bin" topology 2>&1 | head -30
} > "$log" 2>&1
for r in 2 4 8 16; do cp /tmp/s-$r/scale-ranks.csv "$out/ranks-$r.csv" 2>/dev/null; done
tail -c 11000 "$log"
