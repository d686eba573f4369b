#!/bin/bash
# A/B of `shardkit convert svhn` between two binaries on one input, runs interleaved (the machine
# is shared: alternate, compare CPU seconds and peak RSS, not only wall). Per run: user + system
# CPU, wall, peak RSS of the largest process (`/usr/bin/time -v`), the main process's own peak
# (VmHWM, sampled), and when the first shard bytes reached the disk.
#   Benchmarks/fullsize/ab_svhn.sh OLD_BINARY NEW_BINARY INPUT_FOLDER ROUNDS [convert options…]
set -u
old=$1 new=$2 input=$3 rounds=$4
shift 4
out=${AB_OUT:-/tmp/shardkit-ab-svhn}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
    for side in old new; do
        binary=${!side}
        target="$out/$side"
        rm -rf "$target"
        start=$(date +%s.%N)
        /usr/bin/time -v -o "$out/time-$side-$round.txt" "$binary" convert svhn --input "$input" \
            --output "$target" --quiet "$@" > /dev/null &
        timer=$!
        sleep 0.05
        pid=$(pgrep -P "$timer" | head -1)
        first="" hwm=0
        while kill -0 "$timer" 2> /dev/null; do
            if [ -n "$pid" ]; then
                h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null)
                [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
            fi
            if [ -z "$first" ] && [ -n "$(find "$target" -name '*.tfrecord-*' -size +0 2> /dev/null | head -1)" ]; then
                first=$(echo "$(date +%s.%N) - $start" | bc)
            fi
            sleep 0.1
        done
        wait "$timer"
        t="$out/time-$side-$round.txt"
        user=$(awk -F': ' '/User time/ {print $2}' "$t")
        sys=$(awk -F': ' '/System time/ {print $2}' "$t")
        echo "round $round $side: cpu $(echo "$user + $sys" | bc) s (user $user, sys $sys)" \
            "wall $(awk -F': ' '/Elapsed/ {print $2}' "$t")" \
            "peak RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$t") kB (main process $hwm kB)" \
            "first shard bytes after ${first:-?} s, exit $(awk -F': ' '/Exit status/ {print $2}' "$t")," \
            "load $(cut -d' ' -f1 /proc/loadavg)"
    done
done
