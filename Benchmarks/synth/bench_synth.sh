#!/usr/bin/env bash
# Times `shardkit synth` making 100,000 five-digit strings at 64x64 on 2 jobs and prints one
# RESULT line in the format of ../shared/anchors. Usage: bench_synth.sh PATH/TO/shardkit [N]
# It reads Fixtures/digits. The 1.2 GB of shards go to a scratch folder in $BENCH_DIR, by default
# /dev/shm when it exists (memory), so the figure measures synthesis, encoding, CRC, SHA-256 and
# the writes, not the disk; set BENCH_DIR=/tmp to include the disk and its fsyncs.
set -euo pipefail
bin=${1:?usage: bench_synth.sh PATH/TO/shardkit [count]}
n=${2:-100000}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
out=$(mktemp -d "$dir/bench-synth.XXXXXX")
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
"$bin" synth --digits "$root/Fixtures/digits" --output "$out/strings" --count "$n" --test-count 0 \
    --lengths 5:1 --jobs 2 --quiet >/dev/null
end=$(date +%s.%N)
awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN {
    printf "RESULT name=shardkit_synth value=%.0f unit=strings/s n=%d jobs=2\n", n / (e - s), n }'
