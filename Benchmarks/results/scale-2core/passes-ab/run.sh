#!/usr/bin/env bash
# Alternating rounds of the binary before the elementwise passes moved to C (BASE, b64aabd) and the
# one after (NEW, 20cc350): `thinned scale --threads 1,2 --batch 100,1000 --repeat 5` each, from
# the repository root (FIRST and ROUNDS number the rounds). Each command alone unsets the OpenBLAS variables that force the old kernel.
set -u
here=Benchmarks/results/scale-2core/passes-ab
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
