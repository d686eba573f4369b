#!/usr/bin/env bash
# Times `shardkit synth` making 100,000 five-digit strings at 64x64 on 2 jobs and prints one
# RESULT line in the format of ../shared/anchors. Usage: bench_synth.sh PATH/TO/shardkit [N]
# It reads Fixtures/digits and writes synth's default records (64x64x1 raw; set SYNTH_ARGS="--channels 3"
# for SVHN's RGB shape). The 0.4 GB of shards (1.2 GB in RGB) go to a scratch folder in $BENCH_DIR, by default
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
    --lengths 5:1 --jobs 2 ${SYNTH_ARGS:-} --quiet >/dev/null
end=$(date +%s.%N)
args=${SYNTH_ARGS:-default}; args=${args// /_}
awk -v n="$n" -v s="$start" -v e="$end" -v args="$args" -v name="${SYNTH_NAME:-shardkit_synth}" 'BEGIN {
    printf "RESULT name=%s value=%.0f unit=strings/s n=%d jobs=2 args=%s\n", name, n / (e - s), n, args }'
