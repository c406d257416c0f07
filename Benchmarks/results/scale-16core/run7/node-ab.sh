#!/usr/bin/env bash
# Run 7, as executed on the lent 16-core node from the repository root with dist/ carried:
# Tools/node-scale with this commit's bundle (dist/new.tar.xz: the calling thread is worker 0),
# then alternating runs of the previous binary (dist/old.tar.xz, c876ec4: a thread per worker,
# the caller spinning beside them) and this one at 1, 15 and 16 workers, twice each.
set -u
out=${OUT:-run7-out}
bash Tools/node-scale dist/new.tar.xz /tmp/ns > /tmp/ns-log.txt 2>&1
mv /tmp/ns-log.txt /tmp/ns/node-scale.log
rm -f /tmp/ns/node-scale.tar.gz
for b in old new; do mkdir -p /tmp/x-$b && tar -C /tmp/x-$b -xJf dist/$b.tar.xz; done
mkdir -p /tmp/ns/ab
for round in 1 2; do
  for b in old new; do
    echo "== $b $round $(date -u +%T)" >> /tmp/ns/ab/log.txt
    timeout -s KILL 100 /tmp/x-$b/thinned-linux-x86_64/thinned scale --threads 1,15,16 --batch 100,1000 \
      --repeat 3 --out /tmp/ns/ab/$b-$round > /tmp/ns/ab/$b-$round.txt 2>&1
    echo "   exit $?" >> /tmp/ns/ab/log.txt
  done
done
mkdir -p "$out" && tar -C /tmp -czf "$out/ns.tar.gz" ns
