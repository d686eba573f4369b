#!/usr/bin/env bash
# Runs ShardKit's benchmarks and the matching anchors (../shared/anchors: TensorFlow, Pillow, the
# tfrecord package) in one run, rounds interleaved, then prints figures and ratios against the
# issues' targets. Env: REPEATS (default 3), SECTIONS (default "records imaging convert trainer";
# "fullsize", the full-size runs of Benchmarks/fullsize, about an hour, runs only when named).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=$(scripts/setup-python.sh | tail -1)
anchors=${ANCHORS_DIR:-$root/../shared/anchors}
REPEATS=${REPEATS:-3}
SECTIONS=${SECTIONS:-records imaging convert trainer}
results=Benchmarks/results; mkdir -p "$results"
raw="$results/bench-$(date +%Y%m%d-%H%M%S).raw"; log="${raw%.raw}.log"; : > "$raw"; : > "$log"

swift build -c release --product shardkit >>"$log" 2>&1 || { echo "bench: release build failed; see $log" >&2; exit 1; }
# The benchmark executables are a package of their own (Benchmarks/Package.swift), on ShardKit by path;
# without manifest caching, SwiftPM would not see source files added to ShardKit since the last build.
swift build -c release --package-path Benchmarks --disable-build-manifest-caching >>"$log" 2>&1 || { echo "bench: benchmark build failed; see $log" >&2; exit 1; }
bin=$(swift build -c release --show-bin-path)
benchbin=$(swift build -c release --package-path Benchmarks --show-bin-path)
# First: which kernel each piece uses on this CPU.
"$bin/shardkit" --version | tee -a "$log"
cpu_tier=$("$bin/shardkit" --version | sed -n 's/^kernel tier: \([a-z0-9]*\).*/\1/p')

run() {  # rep, command...: keeps every RESULT line, tagged with the round
    local rep=$1; shift
    echo "### rep=$rep $*" >>"$log"
    local lines
    lines=$("$@" 2>>"$log" | tee -a "$log" | grep '^RESULT' || true)
    if [ -z "$lines" ]; then echo "FAILED: $*" | tee -a "$raw"; return; fi
    sed "s/\$/ rep=$rep/" <<<"$lines" | tee -a "$raw"
}
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

for ((r = 1; r <= REPEATS; r++)); do
    if has records; then
        run "$r" "$python" "$anchors/crc.py" --variant bulk
        run "$r" "$python" "$anchors/crc.py" --variant records
        run "$r" "$benchbin/bench-recordio"
        run "$r" "$python" "$anchors/tf_write.py" --variant example
        run "$r" "$python" "$anchors/tfrecord_write.py" --variant io_floor
        run "$r" "$python" "$anchors/tf_read.py" --variant parse_batched
        run "$r" "$benchbin/bench-examples"
        run "$r" "$benchbin/bench-shards"
    fi
    if has imaging; then
        run "$r" "$python" "$anchors/pil_augment.py"
        run "$r" "$python" "$anchors/tf_augment.py" --variant map_par
        run "$r" "$python" Benchmarks/bench-imaging/pil_png.py
        run "$r" "$python" Benchmarks/bench-imaging/pil_png.py --digits --n 20000
        run "$r" "$benchbin/bench-imaging"
        run "$r" Benchmarks/synth/bench_synth.sh "$bin/shardkit"
        run "$r" env SYNTH_ARGS="--channels 3" SYNTH_NAME=shardkit_synth_rgb Benchmarks/synth/bench_synth.sh "$bin/shardkit"
    fi
    if has convert && [ -f Benchmarks/convert/bench_convert.sh ]; then
        run "$r" Benchmarks/convert/bench_convert.sh "$bin/shardkit" "$python"
        run "$r" Benchmarks/convert/bench_scaleout.sh "$bin/shardkit" "$python"
    fi
    if has trainer && [ "$r" -eq 1 ]; then
        run "$r" "$python" "$anchors/tf_train_mnist.py"
        run "$r" "$python" "$anchors/tf_train_svhn.py"
        run "$r" "$benchbin/bench-trainer"
        # The AVX2 kernels on an AVX-512 CPU too (SHARDKIT_ISA caps the tier), as on AVX2-only machines.
        if [ "$cpu_tier" = avx512 ]; then run "$r" env SHARDKIT_ISA=avx2 "$benchbin/bench-trainer"; fi
    fi
    if has fullsize && [ "$r" -eq 1 ]; then
        run "$r" Benchmarks/fullsize/bench_fullsize.sh "$bin/shardkit" "$python"
    fi
done

echo
echo "# host: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\" mhz=$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | tr -d ' ')"
echo "# flags: $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | cut -d: -f2- | tr ' ' '\n' | grep -E '^(sse4_2|pclmulqdq|avx|avx2|fma|avx512[a-z_]*|vpclmulqdq|sha_ni|crc32|pmull|asimd|sha2)$' | tr '\n' ' ')"
"$python" Benchmarks/compare.py "$raw" | tee "${raw%.raw}.txt"
echo "raw lines: $raw; full log: $log"
