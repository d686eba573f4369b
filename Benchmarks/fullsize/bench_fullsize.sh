#!/usr/bin/env bash
# Full-size benchmarks (issue 14), ours beside the widely copied notebooks' method, in one run:
# - SVHN format 1, train at full size (33,402 entries, PNGs 30–400 px wide): `shardkit convert svhn`
#   against py_convert_svhn.py (h5py + Pillow + tf.io.TFRecordWriter);
# - CASIA HWDB, 240 .gnt files (897,758 samples, 3,755 classes, ~5.7 GB): `shardkit convert hwdb`
#   against py_convert_hwdb.py (np.fromfile + Pillow PNG + tf.io.TFRecordWriter);
# - scale: `shardkit convert mnist` on 60k, 600k and 6M records (time linear, memory flat).
# Ours runs with default options (jobs = cores); every process runs under /usr/bin/time -v, which
# gives its wall time and peak RSS. Inputs are generated once under $FULLSIZE_WORK and reused.
#
# Usage: bench_fullsize.sh SHARDKIT_BIN PYTHON
# Env: FULLSIZE_WORK (default /tmp/shardkit-bench/fullsize; ~13 GB of inputs, ~6 GB of outputs
#      at the peak), FULLSIZE_PARTS (default "svhn hwdb scale"),
#      SVHN_PY_LIMIT=N / HWDB_PY_FILES=N: run the Python side on the first N entries / files only
#      (its RESULT line then says fraction=… and its rate is extrapolated to the full input).
set -euo pipefail
bin=$1; python=$2
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
work=${FULLSIZE_WORK:-/tmp/shardkit-bench/fullsize}
parts=${FULLSIZE_PARTS:-svhn hwdb scale}
mkdir -p "$work"
has() { [[ " $parts " == *" $1 "* ]]; }
py() { "$python" -c "$1" "${@:2}"; }

# timed NAME -- COMMAND...: runs COMMAND under /usr/bin/time -v; sets $wall (s), $cpu (user +
# system s, waited-for children included), $rss (MiB, the
# largest single process of the tree, e.g. our digitStruct child), and $when: the clock time and
# the 1-minute load average at the start (the machine is shared; both sides run in the same run).
timed() {
    local name=$1; shift 2
    when="load=$(cut -d' ' -f1 /proc/loadavg) at=$(date +%H:%M:%S)"
    "/usr/bin/time" -v -o "$work/time-$name.txt" "$@" > "$work/stdout-$name.txt"
    wall=$(py 'import sys
t = [l.split(": ", 1)[1] for l in open(sys.argv[1]) if "Elapsed (wall clock)" in l][0].strip().split(":")
print(sum(float(x) * 60 ** i for i, x in enumerate(reversed(t))))' "$work/time-$name.txt")
    rss=$(py 'import sys
kib = [int(l.split(":")[1]) for l in open(sys.argv[1]) if "Maximum resident" in l][0]
print(f"{kib / 1024:.1f}")' "$work/time-$name.txt")
    cpu=$(py 'import sys
t = {l.split(":")[0].strip(): l.split(":")[1] for l in open(sys.argv[1]) if "time (seconds)" in l}
cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
print(f"{cpu:.2f}")' "$work/time-$name.txt")
}
# cpu_line NAME N: records per CPU-second (user + system, children included), which the load of a
# shared machine changes far less than wall time; times the cores used, it is the wall rate on an
# idle machine.
cpu_line() {
    echo "RESULT name=${1}_per_cpu_second value=$(py 'import sys; print(f"{int(sys.argv[1]) / float(sys.argv[2]):.6g}")' "$2" "$cpu") unit=images/cpu-s cpu_seconds=$cpu n=$2 $when"
}
# ours NAME RECORDS FORMAT ARGS...: times `shardkit convert FORMAT`, prints its RESULT lines.
ours() {
    local name=$1 n=$2 format=$3; shift 3
    rm -rf "$work/out-$name"
    timed "$name" -- "$bin" convert "$format" --output "$work/out-$name" --quiet "$@"
    echo "RESULT name=$name value=$(py 'import sys; print(f"{int(sys.argv[1]) / float(sys.argv[2]):.6g}")' "$n" "$wall") unit=images/s seconds=$wall cpu_seconds=$cpu n=$n peak_rss_mib=$rss jobs=$(nproc) $when"
    echo "RESULT name=${name}_peak_rss value=$rss unit=MiB n=$n $when"
    cpu_line "$name" "$n"
    [ ! -f "$work/out-$name/characters.json" ] || cp "$work/out-$name/characters.json" "$work/$name-characters.json"
    rm -rf "$work/out-$name"
}
# theirs NAME FULL_COUNT SCRIPT ARGS...: times a Python baseline; adds its peak RSS and whole-process
# wall time to its RESULT line, and the fraction of the input it ran on.
theirs() {
    local name=$1 full=$2 script=$3; shift 3
    rm -f "$work/out-$name.tfrecord"
    timed "$name" -- "$python" "$here/$script" --output "$work/out-$name.tfrecord" "$@"
    local line n
    line=$(grep '^RESULT' "$work/stdout-$name.txt")
    n=$(sed -n 's/.* n=\([0-9]*\).*/\1/p' <<<"$line")
    echo "$line process_seconds=$wall peak_rss_mib=$rss fraction=$(py 'import sys; print(f"{int(sys.argv[1]) / int(sys.argv[2]):.4g}")' "$n" "$full") full_n=$full cpu_seconds=$cpu $when"
    echo "RESULT name=${name}_peak_rss value=$rss unit=MiB n=$n $when"
    cpu_line "$name" "$n"
    rm -f "$work/out-$name.tfrecord"
}

# Memory is flat when ours peaks at about the same RSS on a tenth of each input as on all of it.
if has svhn; then
    "$python" "$here/make_svhn_input.py" --output "$work/svhn"
    "$python" "$here/make_svhn_input.py" --output "$work/svhn-tenth" --entries 3340
    find "$work/svhn" "$work/svhn-tenth" -type f -exec cat {} + > /dev/null   # warm the page cache
    ours shardkit_svhn_tenth 3340 svhn --input "$work/svhn-tenth"
    ours shardkit_svhn_fullsize 33402 svhn --input "$work/svhn"
    theirs py_convert_svhn_fullsize 33402 py_convert_svhn.py --input "$work/svhn/train" \
        ${SVHN_PY_LIMIT:+--limit "$SVHN_PY_LIMIT"}
fi

if has hwdb; then
    "$python" "$here/make_hwdb_input.py" --output "$work/hwdb"
    mkdir -p "$work/hwdb-tenth/train"   # the first 24 writers' files
    find "$work/hwdb/train" -name '*.gnt' | sort | head -24 | xargs -I{} ln -sf {} "$work/hwdb-tenth/train/"
    tenth=$(py 'import glob, os, struct, sys
n = 0
for p in glob.glob(os.path.join(sys.argv[1], "*.gnt")):
    with open(p, "rb") as f:
        while (h := f.read(10)):
            n += 1
            f.seek(struct.unpack("<I", h[:4])[0] - 10, 1)
print(n)' "$work/hwdb-tenth/train")
    cat "$work/hwdb/train/"*.gnt > /dev/null
    ours shardkit_hwdb_tenth "$tenth" hwdb --input "$work/hwdb-tenth"
    ours shardkit_hwdb_fullsize 897758 hwdb --input "$work/hwdb"
    # What building the dictionary costs: the same run with the dictionary given.
    ours shardkit_hwdb_fullsize_given_dictionary 897758 hwdb --input "$work/hwdb" \
        --dictionary "$work/shardkit_hwdb_fullsize-characters.json"
    theirs py_convert_hwdb_fullsize 897758 py_convert_hwdb.py --input "$work/hwdb/train" \
        ${HWDB_PY_FILES:+--files "$HWDB_PY_FILES"}
fi

if has scale; then
    for n in 60000 600000 6000000; do
        [ -f "$work/mnist-$n/train-labels-idx1-ubyte" ] ||
            "$python" "$root/Benchmarks/convert/make_mnist_input.py" --fixtures "$root/Fixtures/digits" \
                --output "$work/mnist-$n" --n "$n"
    done
    for n in 60000 600000 6000000; do
        cat "$work/mnist-$n/"* > /dev/null
        ours "shardkit_mnist_scale_$n" "$n" mnist --input "$work/mnist-$n"
    done
fi
