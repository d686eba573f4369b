#!/usr/bin/env bash
# Runs ShardKit's benchmarks and the matching anchors (../shared/anchors: TensorFlow, Pillow, the
# tfrecord package) in one run, rounds interleaved, then prints figures and ratios against the
# issues' targets. Env: REPEATS (default 3), SECTIONS (default "records imaging convert trainer";
# "fullsize", the full-size runs of Benchmarks/fullsize, about an hour, runs only when named).
#
# BASE=REV (a commit, e.g. BASE=721dc11) adds a side-by-side comparison: every ShardKit benchmark
# of the selected sections runs twice per round, once built from REV and once from this tree
# (base first in odd rounds, head first in even ones), beside the anchors, which run once per
# round; compare.py --ab prints base, head, head/base (> 1 is better) and flags a figure worse by
# more than 5% in the medians and in every round's pair. REV is built
# with `swift build -c release` in a git worktree at $BENCH_BASE_ROOT/base-<short rev> (default
# /tmp/shardkit-bench), made once and reused while it stays at REV. The section scripts (convert,
# synth, fullsize) are this tree's, given the base's binary, so both sides do the same work; when
# the base binary rejects a script's options (usage error, exit 64) the base tree's own copy of
# the script runs instead, or, if it has none, the base side of that script is skipped; the log
# and the raw lines say which.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=$(scripts/setup-python.sh | tail -1)
anchors=${ANCHORS_DIR:-$root/../shared/anchors}
REPEATS=${REPEATS:-3}
SECTIONS=${SECTIONS:-records imaging convert trainer}
BASE=${BASE:-}
if [ -n "$BASE" ]; then  # checked before the builds, which take minutes
    base_rev=$(git rev-parse --verify --quiet "$BASE^{commit}") || { echo "bench: BASE=$BASE names no commit" >&2; exit 64; }
fi
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

# The base side (BASE set): a worktree of REV outside this tree, built in release.
bin_head=$bin benchbin_head=$benchbin
if [ -n "$BASE" ]; then
    base_short=$(git rev-parse --short=7 "$base_rev")
    base_root=${BENCH_BASE_ROOT:-/tmp/shardkit-bench}
    mkdir -p "$base_root"
    base_tree="$(cd "$base_root" && pwd -P)/base-$base_short"
    case "$base_tree/" in "$(pwd -P)/"*) echo "bench: the base worktree $base_tree would lie inside this tree" >&2; exit 64 ;; esac
    if [ -e "$base_tree" ]; then
        at=$(git -C "$base_tree" rev-parse --verify --quiet HEAD 2>/dev/null || true)
        [ "$at" = "$base_rev" ] || { echo "bench: $base_tree exists but is not a checkout of $base_rev; remove it (git worktree remove) or set BENCH_BASE_ROOT" >&2; exit 73; }
        [ -z "$(git -C "$base_tree" status --porcelain --untracked-files=no)" ] ||
            { echo "bench: $base_tree has local changes, so it would not measure $base_rev; clean or remove it" >&2; exit 73; }
        echo "# base: reusing $base_tree" | tee -a "$log"
    else
        # --force only matters when git still lists a worktree at that path whose folder is gone.
        git worktree add --force --detach "$base_tree" "$base_rev" >>"$log" 2>&1 ||
            { echo "bench: could not make a worktree of $base_rev at $base_tree; see $log" >&2; exit 74; }
        echo "# base: made $base_tree" | tee -a "$log"
    fi
    # Before the spine refactor the benchmark executables were products of the root package;
    # since then they are the Benchmarks/ package's.
    if [ -f "$base_tree/Benchmarks/Package.swift" ]; then
        (cd "$base_tree" && swift build -c release --product shardkit && swift build -c release --package-path Benchmarks --disable-build-manifest-caching) >>"$log" 2>&1 ||
            { echo "bench: base release build failed in $base_tree; see $log" >&2; exit 1; }
        benchbin_base=$(cd "$base_tree" && swift build -c release --package-path Benchmarks --show-bin-path)
    else
        (cd "$base_tree" && swift build -c release) >>"$log" 2>&1 || { echo "bench: base release build failed in $base_tree; see $log" >&2; exit 1; }
        benchbin_base=$(cd "$base_tree" && swift build -c release --show-bin-path)
    fi
    bin_base=$(cd "$base_tree" && swift build -c release --show-bin-path)
    head_desc=$(git describe --always --dirty --abbrev=7)
    echo "# side by side: base $base_short ($base_tree), head $head_desc ($root)" | tee -a "$log"
fi

side=""          # base or head while a ShardKit benchmark runs for one side (BASE set); empty otherwise
last_status=0    # the exit status of run's last command
usage_quiet=""   # set: run writes no FAILED line when the command exits 64 with no figure
last_figures=0   # how many RESULT lines run's last command printed
cap_tier=""      # set to the tier SHARDKIT_ISA caps a run at (see tier_named)
declare -A section_seconds=()
section=""
run() {  # rep, command...: keeps every RESULT line, tagged with the round (and the side, with BASE)
    local rep=$1; shift
    echo "### rep=$rep${side:+ side=$side} $*" >>"$log"
    local lines status_file start
    status_file=$(mktemp); start=$(date +%s.%N)
    lines=$({ "$@" || echo $? > "$status_file"; } 2>>"$log" | tee -a "$log" | grep '^RESULT' || true)
    last_status=$(cat "$status_file"); last_status=${last_status:-0}; rm -f "$status_file"
    [ -n "$cap_tier" ] && lines=$(tier_named "$cap_tier" <<<"$lines")
    last_figures=$(grep -c '^RESULT' <<<"$lines" || true)
    if [ -n "$BASE" ]; then
        local took; took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
        echo "### took $took s, exit $last_status" >>"$log"
        local k="$section ${side:-anchor}"
        section_seconds[$k]=$(awk -v a="${section_seconds[$k]:-0}" -v b="$took" 'BEGIN { printf "%.1f", a + b }')
    fi
    if [ -z "$lines" ]; then
        [ -n "$usage_quiet" ] && [ "$last_status" -eq 64 ] && return
        echo "FAILED:${side:+ side=$side} $*" | tee -a "$raw"; return
    fi
    sed "s/\$/ rep=$rep${BASE:+ side=${side:-anchor}}/" <<<"$lines" | tee -a "$raw"
}
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

# fill SIDE TREE ARGS...: sets `cmd` to ARGS with {bin} (the side's shardkit), {bench} (its
# benchmark executables' folder) and {tree} (the tree whose scripts run) filled in.
fill() {
    local b=bin_$1 bb=benchbin_$1 tree=$2 a; shift 2
    cmd=()
    for a in "$@"; do a=${a//\{bin\}/${!b}}; a=${a//\{bench\}/${!bb}}; a=${a//\{tree\}/$tree}; cmd+=("$a"); done
}

# Which tree's copy of a script the base side runs ({tree} in its command): this tree's unless the
# base binary rejected its options once; then the base tree's, or "skip" when it has none.
declare -A base_scripts=()
# ours REP ARGS...: one of ShardKit's own benchmarks (ARGS with {bin}, {bench}, {tree}); this tree's
# build or, with BASE, both sides one after the other: base first in odd rounds, head first in even
# ones, so that a machine slowing down or warming up within a round does not favour one side.
ours() {
    local rep=$1; shift
    if [ -z "$BASE" ]; then fill head "$root" "$@"; run "$rep" "${cmd[@]}"; return; fi
    if ((rep % 2)); then base_side "$rep" "$@"; head_side "$rep" "$@"; else head_side "$rep" "$@"; base_side "$rep" "$@"; fi
}

# head_side REP ARGS...: this tree's run of one benchmark.
head_side() {
    local rep=$1; shift
    side=head
    fill head "$root" "$@"
    run "$rep" "${cmd[@]}"
    side=""
}

# base_side REP ARGS...: the base's run of one benchmark, with this tree's copy of its script
# unless the base binary rejects that copy's options.
base_side() {
    local rep=$1; shift
    local key="$*" script=""
    local a; for a in "$@"; do [[ $a == "{tree}/"* ]] && { script=${a#"{tree}/"}; break; }; done
    side=base
    if [ "${base_scripts[$key]:-$root}" = skip ]; then
        echo "SKIPPED: side=base rep=$rep $script (the base binary rejects its options and the base tree has no copy)" | tee -a "$raw"
    else
        local tree=${base_scripts[$key]:-$root}
        fill base "$tree" "$@"
        [ -n "$script" ] && [ "$tree" = "$root" ] && usage_quiet=1
        run "$rep" "${cmd[@]}"
        usage_quiet=""
        if [ -n "$script" ] && [ "$tree" = "$root" ] && [ "$last_status" -eq 64 ] && [ "$last_figures" -eq 0 ]; then
            if [ -f "$base_tree/$script" ]; then
                base_scripts[$key]=$base_tree
                echo "# base: the base binary rejects $script's options (exit 64); the base side runs $base_tree/$script from now on" | tee -a "$log"
                fill base "$base_tree" "$@"
                run "$rep" "${cmd[@]}"
            else
                base_scripts[$key]=skip
                echo "# base: the base binary rejects $script's options (exit 64) and $base_tree has no $script: base side skipped" | tee -a "$log"
                echo "SKIPPED: side=base rep=$rep $script (the base binary rejects its options and the base tree has no copy)" | tee -a "$raw"
            fi
        fi
    fi
    side=""
}

# tier_named TIER < lines: runs capped by SHARDKIT_ISA name their figures with the tier
# (shardkit_train_mnist_avx2); a bench-trainer older than that naming (the spine refactor's base)
# does not, so this adds the suffix where it is missing.
tier_named() {
    sed -E "/ tier=$1( |\$)/ s/name=(shardkit_train_(mnist|digits))(_peak_fraction)? /name=\1_$1\3 /"
}

for ((r = 1; r <= REPEATS; r++)); do
    if has records; then
        section=records
        run "$r" "$python" "$anchors/crc.py" --variant bulk
        run "$r" "$python" "$anchors/crc.py" --variant records
        ours "$r" "{bench}/bench-recordio"
        run "$r" "$python" "$anchors/tf_write.py" --variant example
        run "$r" "$python" "$anchors/tfrecord_write.py" --variant io_floor
        run "$r" "$python" "$anchors/tf_read.py" --variant parse_batched
        ours "$r" "{bench}/bench-examples"
        ours "$r" "{bench}/bench-shards"
    fi
    if has imaging; then
        section=imaging
        run "$r" "$python" "$anchors/pil_augment.py"
        run "$r" "$python" "$anchors/tf_augment.py" --variant map_par
        run "$r" "$python" Benchmarks/bench-imaging/pil_png.py
        run "$r" "$python" Benchmarks/bench-imaging/pil_png.py --digits --n 20000
        ours "$r" "{bench}/bench-imaging"
        ours "$r" "{tree}/Benchmarks/synth/bench_synth.sh" "{bin}/shardkit"
        ours "$r" env SYNTH_ARGS="--channels 3" SYNTH_NAME=shardkit_synth_rgb "{tree}/Benchmarks/synth/bench_synth.sh" "{bin}/shardkit"
        # The fixed layout draws nothing (digits copied into slots): its bytes are the same before
        # and after issue 13's drawing change, so a side-by-side run compares the same output.
        ours "$r" env SYNTH_ARGS="--layout fixed" SYNTH_NAME=shardkit_synth_fixed "{tree}/Benchmarks/synth/bench_synth.sh" "{bin}/shardkit"
    fi
    if has convert && [ -f Benchmarks/convert/bench_convert.sh ]; then
        section=convert
        ours "$r" "{tree}/Benchmarks/convert/bench_convert.sh" "{bin}/shardkit" "$python"
        ours "$r" "{tree}/Benchmarks/convert/bench_scaleout.sh" "{bin}/shardkit" "$python"
    fi
    # Every round, like the other sections: one training run on this VM swings by ±10%, so the
    # figures (and the 0.70-of-peak verdicts) are medians of the rounds.
    if has trainer; then
        section=trainer
        run "$r" "$python" "$anchors/tf_train_mnist.py"
        run "$r" "$python" "$anchors/tf_train_svhn.py"
        ours "$r" "{bench}/bench-trainer"
        # The AVX2 kernels on an AVX-512 CPU too (SHARDKIT_ISA caps the tier), as on AVX2-only machines.
        if [ "$cpu_tier" = avx512 ]; then
            cap_tier=avx2; ours "$r" env SHARDKIT_ISA=avx2 "{bench}/bench-trainer"; cap_tier=""
        fi
    fi
    if has fullsize && [ "$r" -eq 1 ]; then
        section=fullsize
        ours "$r" "{tree}/Benchmarks/fullsize/bench_fullsize.sh" "{bin}/shardkit" "$python"
    fi
done

echo
echo "# host: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\" mhz=$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | tr -d ' ')"
echo "# flags: $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | cut -d: -f2- | tr ' ' '\n' | grep -E '^(sse4_2|pclmulqdq|avx|avx2|fma|avx512[a-z_]*|vpclmulqdq|sha_ni|crc32|pmull|asimd|sha2)$' | tr '\n' ' ')"
if [ -n "$BASE" ]; then
    echo "# side by side: base $base_short, head $head_desc; wall seconds per section and side, all rounds:"
    for s in records imaging convert trainer fullsize; do
        has "$s" || continue
        echo "#   $s: base ${section_seconds[$s base]:-0} s, head ${section_seconds[$s head]:-0} s, anchors ${section_seconds[$s anchor]:-0} s"
    done
    "$python" Benchmarks/compare.py --ab "$raw" | tee "${raw%.raw}.txt"
else
    "$python" Benchmarks/compare.py "$raw" | tee "${raw%.raw}.txt"
fi
echo "raw lines: $raw; full log: $log"
