#!/usr/bin/env bash
# The libFuzzer harnesses of Fuzz/ (one per reader of untrusted bytes; see Fuzz/README.md).
#
#   scripts/fuzz.sh [--runs N] [--time S] [HARNESS...]
#       Fuzzes each harness (all by default, one after the other) until N executions (default
#       1,000,000) or S seconds (default 1800, for the slow ones), whichever comes first, starting
#       from its committed corpus Fuzz/corpus/<harness>/. New inputs go to Fuzz/.build/corpus/<harness>/,
#       never into the committed corpus. Hangs (-timeout), leaks (-detect_leaks=1), out-of-memory
#       (-rss_limit_mb) and crashes fail the run; the input that did it is saved under
#       Fuzz/.build/artifacts/<harness>/. One process, no -jobs or -fork. Prints a line per
#       harness: executions (and whether N was reached or the time limit stopped it), executions
#       per second, coverage (cov, ft), corpus size, and crashes, hangs and leaks.
#   scripts/fuzz.sh --regress
#       Runs every harness once over every input of its committed corpus and of
#       Fuzz/regressions/<harness>/ (inputs that once failed, kept out of -merge's reach): make
#       test's step.
#   scripts/fuzz.sh --seed
#       Remakes the committed corpus: seeds from the fixtures (Fuzz/seeds.py, with datasets that
#       `shardkit convert` writes from them), plus the corpus already committed, minimized with
#       -merge=1. An input that made a harness fail goes to Fuzz/regressions/<harness>/ once fixed.
#
# Build: SwiftPM's `--sanitize fuzzer --sanitize address` (C targets instrumented, libFuzzer's main
# linked) and `-Xswiftc -sanitize=fuzzer,address`, because SwiftPM passes the two sanitizers to
# the Swift driver as separate flags and the driver keeps only the last, leaving Swift code
# without coverage. Debug configuration: it builds in a fraction of release's time. No manifest
# cache: a cached manifest of the root package misses source files added to it since.
set -euo pipefail
cd "$(dirname "$0")/.."

harnesses=(
    fuzz-tfrecord fuzz-example fuzz-idx fuzz-cifar fuzz-gnt fuzz-digitstruct
    fuzz-png fuzz-jpeg fuzz-safetensors fuzz-manifest fuzz-dataset-info fuzz-augment-spec
    fuzz-svhn-cropped fuzz-folder fuzz-archive
)
mode=fuzz
runs=1000000
seconds=1800
selected=()
while [ $# -gt 0 ]; do
    case $1 in
    --regress) mode=regress ;;
    --seed) mode=seed ;;
    --runs) runs=$2; shift ;;
    --time) seconds=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    fuzz-*) selected+=("$1") ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
[ ${#selected[@]} -gt 0 ] && harnesses=("${selected[@]}")

build=Fuzz/.build
mkdir -p "$build"
start=$SECONDS
echo "fuzz: building ${#harnesses[@]} harnesses (debug, -sanitize=fuzzer,address)"
if ! swift build --package-path Fuzz --manifest-cache none --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -use-ld=bfd >"$build/build.log" 2>&1; then
    grep -E 'error:' "$build/build.log" | head -40 >&2 || tail -40 "$build/build.log" >&2
    echo "fuzz: the build failed (log: $build/build.log)" >&2
    exit 1
fi
bin=$(swift build --package-path Fuzz --show-bin-path)
echo "fuzz: built in $((SECONDS - start)) s"

# Harnesses write their inputs to files here (see Fuzz/Sources/FuzzSupport): in memory when
# /dev/shm is there (on disk, the writes make a file-reading harness ten times slower), removed
# when this script ends however it ends.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm/shardkit-fuzz-$$
else
    export TMPDIR=$PWD/$build/tmp-$$
fi
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
# libFuzzer's own options come on the command line; these reach the sanitizers.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Swift's backtracer would walk a crashed harness's stack under ASan (which reports its reads as
# stack underflows); libFuzzer prints the stack of a crash itself.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
# Leaks in the toolchain's own libraries that are not ours to fix, each explained in the file.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0}
common=(-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1)

# ---- --regress: each harness once over its committed corpus.
if [ $mode = regress ]; then
    inputs=0 failed=()
    for h in "${harnesses[@]}"; do
        files=(Fuzz/corpus/"$h"/*)
        [ -e "${files[0]}" ] || { echo "== $h: no corpus in Fuzz/corpus/$h" >&2; failed+=("$h"); continue; }
        # Inputs that once crashed, hung or leaked, kept whatever -merge=1 makes of the corpus.
        [ -d "Fuzz/regressions/$h" ] && files+=(Fuzz/regressions/"$h"/*)
        log=$build/regress-$h.log
        t0=$SECONDS
        if "$bin/$h" "${common[@]}" -artifact_prefix="$TMPDIR/" "${files[@]}" >"$log" 2>&1; then
            echo "== $h: ${#files[@]} inputs ok ($((SECONDS - t0)) s)"
        else
            echo "== $h: FAILED on its corpus; the end of its output:"
            tail -30 "$log" | sed 's/^/   | /'
            failed+=("$h")
        fi
        inputs=$((inputs + ${#files[@]}))
    done
    echo "fuzz: $((SECONDS - start)) s in all"
    echo "fuzz corpus: $inputs inputs, ${#harnesses[@]} harnesses: $((${#harnesses[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
    [ ${#failed[@]} -eq 0 ]
    exit
fi

# ---- --seed: remake the committed corpus from the fixtures.
if [ $mode = seed ]; then
    seeds=$build/seeds datasets=$build/datasets
    rm -rf "$seeds" "$datasets"
    mkdir -p "$datasets"
    swift build --product shardkit >"$build/shardkit.log" 2>&1 || { tail -20 "$build/shardkit.log"; exit 1; }
    shardkit="$(swift build --show-bin-path)/shardkit"
    for format in mnist cifar10 cifar100 svhn hwdb; do
        "$shardkit" convert "$format" --input "Fixtures/$format" --output "$datasets/$format" >/dev/null
    done
    python3 Fuzz/seeds.py . "$datasets" "$seeds"
    for h in "${harnesses[@]}"; do
        merged=$build/merged-$h
        rm -rf "$merged"
        mkdir -p "$merged" "Fuzz/corpus/$h" "$seeds/$h"
        "$bin/$h" "${common[@]}" -merge=1 "$merged" "Fuzz/corpus/$h" "$seeds/$h" >"$build/merge-$h.log" 2>&1 ||
            { tail -30 "$build/merge-$h.log"; exit 1; }
        rm -rf "Fuzz/corpus/$h"
        mv "$merged" "Fuzz/corpus/$h"
        echo "== $h: $(ls "Fuzz/corpus/$h" | wc -l) inputs, $(( $(du -sb "Fuzz/corpus/$h" | cut -f1) / 1024 )) KiB"
    done
    echo "fuzz: corpus $(( $(du -sb Fuzz/corpus | cut -f1) / 1024 )) KiB in all"
    exit 0
fi

# ---- Fuzzing: each harness in turn, from its committed corpus.
failed=()
summaries=()
for h in "${harnesses[@]}"; do
    work=$build/corpus/$h artifacts=$build/artifacts/$h/
    mkdir -p "$work" "$artifacts"
    log=$build/fuzz-$h.log
    echo "== $h: up to $runs executions or $seconds s (log: $log)"
    rc=0
    seeds=("Fuzz/corpus/$h")
    [ -d "Fuzz/regressions/$h" ] && seeds+=("Fuzz/regressions/$h")
    "$bin/$h" "${common[@]}" -runs="$runs" -max_total_time="$seconds" -artifact_prefix="$artifacts" \
        "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
    # libFuzzer's own lines; "|| true": a run that died early may lack them.
    executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1 || true)
    speed=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -1 || true)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[KM]?b' "$log" | tail -1 || true)
    # Whether the run reached its executions or stopped at the time limit.
    reach="time limit"
    [ "${executions:-0}" -ge "$runs" ] && reach="target reached"
    line="$h: ${executions:-?} executions ($reach), ${speed:-?}/s, ${coverage:-cov: ?}, ${corpus:-corp: ?}"
    if [ $rc -eq 0 ]; then
        line="$line, 0 crashes, 0 hangs, 0 leaks"
    else
        # libFuzzer stops at the first failure: one crash, hang (timeout), leak or out-of-memory.
        kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+' "$log" | head -1 || true)
        [ -z "$kind" ] && kind=$(grep -m1 -E 'Fatal error|fuzz check failed|==ERROR' "$log" || echo "exit $rc")
        case $kind in
        *timeout*) what="1 hang" ;;
        *LeakSanitizer*) what="1 leak" ;;
        *out-of-memory*) what="out of memory" ;;
        *) what="1 crash" ;;
        esac
        line="$line: FAILED, $what ($kind); input saved in $artifacts"
        failed+=("$h")
        grep -m1 -B2 -A25 -E '==ERROR|Fatal error|fuzz check failed|ERROR: libFuzzer' "$log" | sed 's/^/   | /' || true
    fi
    echo "   $line"
    summaries+=("$line")
done
echo "fuzz: $((SECONDS - start)) s in all"
for line in "${summaries[@]}"; do echo "  $line"; done
echo "fuzz: ${#harnesses[@]} harnesses: $((${#harnesses[@]} - ${#failed[@]})) passed, ${#failed[@]} failed (crashes, hangs, leaks, out-of-memory)"
[ ${#failed[@]} -eq 0 ]
