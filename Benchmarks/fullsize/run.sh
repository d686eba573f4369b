#!/usr/bin/env bash
# `make bench-full`: builds the release CLI, runs bench_fullsize.sh (all three parts, ours beside
# the notebooks' Python method in one run) and prints the figures and ratios with compare.py.
# Only the `shardkit` product is built: the Benchmarks package (micro-benchmarks) is not needed
# here. Raw lines and the full log land in Benchmarks/results/fullsize-<date>.{raw,log,txt}.
# Env: as bench_fullsize.sh (FULLSIZE_WORK, FULLSIZE_PARTS, SVHN_PY_LIMIT, HWDB_PY_FILES).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=$(scripts/setup-python.sh | tail -1)
results=Benchmarks/results; mkdir -p "$results"
stem="$results/fullsize-$(date +%Y%m%d-%H%M%S)"; raw="$stem.raw"; log="$stem.log"
swift build -c release --product shardkit >"$log" 2>&1 || { echo "bench-full: release build failed; see $log" >&2; exit 1; }
bin=$(swift build -c release --show-bin-path)/shardkit
"$bin" --version | tee -a "$log"
echo "# start $(date -Is) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
status=0
Benchmarks/fullsize/bench_fullsize.sh "$bin" "$python" 2>>"$log" | tee -a "$log" | { grep '^RESULT' || true; } > "$raw" ||
    status=$?
echo "# end $(date -Is) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
[ -s "$raw" ] || { echo "bench-full: no RESULT lines; see $log" >&2; exit 1; }
[ "$status" -eq 0 ] || echo "bench-full: bench_fullsize.sh failed (status $status) after the figures below; see $log" >&2
echo "# host: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\""
"$python" Benchmarks/compare.py "$raw" | tee "$stem.txt"
echo "raw lines: $raw; full log: $log"
exit "$status"
