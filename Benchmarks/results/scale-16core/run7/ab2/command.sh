#!/usr/bin/env bash
# Run 7's second call on the node, right after node-ab.sh: three rounds of this commit's binary
# (new) and the previous one (old, c876ec4) alternating, 1 and 16 workers, --repeat 5.
for b in old new; do mkdir -p /tmp/x-$b && tar -C /tmp/x-$b -xJf dist/$b.tar.xz; done
mkdir -p /tmp/ab2
for r in 1 2 3; do
  for b in new old; do
    echo "== $b $r $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/ab2/log.txt
    timeout -s KILL 70 /tmp/x-$b/thinned-linux-x86_64/thinned scale --threads 1,16 --batch 100,1000 --repeat 5 \
      --out /tmp/ab2/$b-$r > /tmp/ab2/$b-$r.txt 2>&1
    echo "   exit $?" >> /tmp/ab2/log.txt
  done
done
tar -C /tmp -czf $OUT/ab2.tar.gz ab2
