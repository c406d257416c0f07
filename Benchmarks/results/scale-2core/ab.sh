#!/usr/bin/env bash
# Alternating rounds of two release binaries, from the repository root, into this folder's
# subfolder NAME (base-N.txt, new-N.txt):
#   BASE=… NEW=… Benchmarks/results/scale-2core/ab.sh NAME      (FIRST and ROUNDS number the rounds)
# each round `thinned scale --threads 1,2 --batch 100,1000 --repeat 5` of BASE, then of NEW. Each
# command alone unsets the OpenBLAS variables that force the old kernel. `python3 ab_summary.py
# NAME` sums the rounds up. It ran passes-ab (b64aabd against 20cc350, the
# elementwise passes in C) and updates-ab (ff4ced4 against the optimizers' updates in C).
set -u
usage="usage: BASE=binary NEW=binary ab.sh NAME (a subfolder of Benchmarks/results/scale-2core)"
name=${1:?$usage}
for bin in "${BASE:?$usage}" "${NEW:?$usage}"; do
  [ -f "$bin" ] && [ -x "$bin" ] || { echo "ab.sh: $bin is not an executable file" >&2; exit 1; }
done
here=Benchmarks/results/scale-2core/$name
mkdir -p "$here"
first=${FIRST:-1} rounds=${ROUNDS:-6}
bench() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX "$@"; }
tmp=$(mktemp -d)
for n in $(seq "$first" $((first + rounds - 1))); do
  for side in base new; do
    if [ $side = base ]; then bin=$BASE; else bin=$NEW; fi
    bench "$bin" scale --threads 1,2 --batch 100,1000 --repeat 5 --out "$tmp/$side-$n" > $here/$side-$n.txt 2>&1
  done
done
rm -rf "$tmp"
