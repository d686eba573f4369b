#!/usr/bin/env bash
# Scale-out benchmark (issue: scale-out): 600,000 MNIST digits (raw idx) to PNG Examples, 1 worker
# against 2 local worker processes (each --jobs 1, both cores busy) plus `shardkit commit`, wall
# time; and what `commit` alone costs for 64 and 1,024 shards, and for 64 shards over 60,000 and
# 600,000 records (O(shards), not O(records)). Usage: bench_scaleout.sh SHARDKIT_BIN PYTHON
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
now() { date +%s.%N; }
result() { "$python" -c "import sys; print(sys.argv[1])" "$1"; }
records=$(( $(stat -c %s "$work/in-600000/train-labels-idx1-ubyte") - 8 ))   # one train split

# One worker: the whole conversion in one process, one encoding thread.
rm -rf "$work/so-1"
t0=$(now)
"$bin" convert mnist --input "$work/in-600000" --output "$work/so-1" --shards 16 --jobs 1 --quiet --worker 0/1
"$bin" commit "$work/so-1" > /dev/null
t1=$(now)
one=$("$python" -c "print($t1 - $t0)")
echo "RESULT name=shardkit_scaleout_1worker value=$("$python" -c "print(f'{$records / $one:.6g}')") unit=images/s seconds=$one records=$records"

# Two workers at once on this machine's two cores, then commit.
rm -rf "$work/so-2"
t0=$(now)
"$bin" convert mnist --input "$work/in-600000" --output "$work/so-2" --shards 16 --jobs 1 --quiet --worker 0/2 &
a=$!
"$bin" convert mnist --input "$work/in-600000" --output "$work/so-2" --shards 16 --jobs 1 --quiet --worker 1/2 &
b=$!
wait $a; wait $b
"$bin" commit "$work/so-2" > /dev/null
t1=$(now)
two=$("$python" -c "print($t1 - $t0)")
echo "RESULT name=shardkit_scaleout_2workers value=$("$python" -c "print(f'{$records / $two:.6g}')") unit=images/s seconds=$two records=$records wall_ratio=$("$python" -c "print(f'{$two / $one:.3f}')")"
cmp -s "$work/so-1/manifest.json" "$work/so-2/manifest.json" || { echo "scale-out: 1 and 2 workers differ" >&2; exit 1; }

# commit alone: workers' output prepared first (not timed), then only commit is timed.
commit_time() {  # name n shards-per-split
    local out="$work/commit-$1"
    rm -rf "$out"
    "$bin" convert mnist --input "$work/in-$2" --output "$out" --shards "$3" --jobs 2 --quiet --worker 0/1 --image-encoding raw
    local t0 t1
    t0=$(now); "$bin" commit "$out" > /dev/null; t1=$(now)
    echo "RESULT name=shardkit_commit_$1 value=$("$python" -c "print(f'{$t1 - $t0:.4f}')") unit=s shards=$3 n=$2"
}
commit_time 64_shards 60000 64
commit_time 64_shards_x10_records 600000 64
commit_time 1024_shards 60000 1024
