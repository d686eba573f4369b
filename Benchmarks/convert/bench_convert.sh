#!/usr/bin/env bash
# Convert benchmark (issue: convert): 60,000 MNIST digits, raw idx in, PNG-encoded Examples out,
# 4 shards — ours with 1 and 2 jobs beside the numpy+Pillow+TensorFlow converter, and our peak
# memory at 60,000 and 600,000 digits. Usage: bench_convert.sh SHARDKIT_BIN PYTHON
set -euo pipefail
bin=$1; python=$2
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
work=${BENCH_WORK:-/tmp/shardkit-bench/convert}
mkdir -p "$work"
for n in 60000 600000; do
    [ -f "$work/in-$n/train-labels-idx1-ubyte" ] ||
        "$python" "$here/make_mnist_input.py" --fixtures "$root/Fixtures/digits" --output "$work/in-$n" --n "$n"
done
cat "$work"/in-*/* > /dev/null   # warm the page cache

rm -rf "$work/py-out"
"$python" "$here/py_convert_mnist.py" --input "$work/in-60000" --output "$work/py-out" --shards 4 | grep '^RESULT'

timed() {  # name n jobs: runs shardkit convert under /usr/bin/time, prints RESULT lines
    local name=$1 n=$2 jobs=$3 out="$work/out-$1"
    rm -rf "$out"
    /usr/bin/time -f '%e %M' -o "$work/time.txt" \
        "$bin" convert mnist --input "$work/in-$n" --output "$out" --shards 4 --jobs "$jobs" --quiet
    read -r seconds kib < "$work/time.txt"
    "$python" -c "import sys; n,s,k=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]); print(f'RESULT name=$name value={n/s:.6g} unit=images/s seconds={s} n={n} jobs=$jobs peak_rss_mib={k/1024:.1f}')" "$n" "$seconds" "$kib"
    "$python" -c "import sys; print(f'RESULT name=shardkit_convert_peak_rss_n$n value={int(sys.argv[1])/1024:.1f} unit=MiB n=$n jobs=$jobs')" "$kib"
}
timed shardkit_convert_mnist_jobs1 60000 1
timed shardkit_convert_mnist_jobs2 60000 2
timed shardkit_convert_mnist_x10_jobs2 600000 2
