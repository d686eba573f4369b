#!/usr/bin/env bash
# The C-level tests of the C kernels (Tests/CKernels against every .c file of Sources/CShardKitCPU,
# CShardKitCRC32C, CShardKitConvKernels and CShardKitDeflate, as they are in the tree, through their public headers), and
# of the JPEG shim (Sources/CShardKitJPEG, linked with the system's libjpeg; not in the aarch64 build,
# which has no arm64 libjpeg: there the group reports itself skipped):
#   1. built natively with the system cc -O2 and run once per kernel tier this CPU can run
#      (SHARDKIT_ISA caps the tier; tiers the CPU cannot run are skipped with the reason);
#   2. built with clang -O2 (the compiler SwiftPM builds these targets with) when it is on PATH,
#      and run at the CPU's best tier;
#   3. built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc if its runtimes link, else
#      clang) and run at the CPU's best tier and at the portable tier;
#   4. cross-built with aarch64-linux-gnu-gcc -O2 (Debian's gcc-aarch64-linux-gnu) and run under
#      qemu-aarch64 (Debian's qemu-user): at the armv8 tier (qemu's CPU has the CRC extension) and
#      at the portable tier.
# Exits non-zero if any build or run fails, or if the cross compiler or qemu is missing
# (scripts/bootstrap.sh installs them). The last line sums the cases of all runs:
# "c-kernels: N passed, M failed".
#
# Environment: CC (native compiler, default cc), CK_SANITIZE_CC (gcc or clang, default: the first
# that works), CK_SOURCES (the folder holding the four targets, default Sources), CK_SEED (random inputs),
# CK_JOBS (runs at a time, default the number of cores). Builds and logs go to .build/c-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
sources_root=${CK_SOURCES:-Sources}
build=.build/c-kernels
mkdir -p "$build"
targets=(CShardKitCPU CShardKitCRC32C CShardKitConvKernels CShardKitDeflate CShardKitJPEG)

includes=()
target_dirs=()
for t in "${targets[@]}"; do
    [ -d "$sources_root/$t" ] || { echo "test-c-kernels: no $sources_root/$t" >&2; exit 1; }
    includes+=(-I "$sources_root/$t/include")
    target_dirs+=("$sources_root/$t")
done
# png_decode.c (the PNG fast path, linked against libdeflate) is no kernel: Swift's PNGFastDecodeTests
# test it against libpng and the fuzz-png harness runs it under ASan, so it is left out here.
mapfile -t sources < <(find "${target_dirs[@]}" -name '*.c' ! -name png_decode.c | sort)
tests=(Tests/CKernels/*.c)
defines=()
# -Wno-unknown-pragmas: the GEMM's `#pragma clang loop` lines are for clang only.
flags=(-std=gnu11 -Wall -Wno-unknown-pragmas "${defines[@]}" "${includes[@]}" -I Tests/CKernels)
libs=(-lpthread -lm)
# The JPEG shim and its test, which need libjpeg: native and sanitized builds only.
jpeg_sources=("$sources_root/CShardKitJPEG/shardkit_jpeg.c")

# ---- The tools, all checked before anything is built.

host=$(uname -m)
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "test-c-kernels: no C compiler '$cc'" >&2; exit 1; }

# A sanitizer build needs the compiler's ASan and UBSan runtimes: take the first compiler that
# links and runs a sanitized program. gcc first: clang -O1 with ASan takes 50 s on the GEMM's
# fully unrolled AVX-512 tiles, gcc 6 s.
sanitize_flags=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
sanitize_cc=
for candidate in ${CK_SANITIZE_CC:-gcc clang}; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    extra=()
    # Swift's clang links with gold by default, which warns about every ASan symbol; use bfd.
    [[ $candidate == *clang* ]] && extra=(-fuse-ld=bfd)
    printf 'int main(void) { return 0; }\n' >"$build/probe.c"
    if "$candidate" "${sanitize_flags[@]}" "${extra[@]}" "$build/probe.c" -o "$build/probe" >/dev/null 2>&1 &&
        "$build/probe" >/dev/null 2>&1; then
        sanitize_cc=$candidate
        sanitize_extra=("${extra[@]}")
        break
    fi
done
if [ -z "$sanitize_cc" ]; then
    echo "test-c-kernels: neither ${CK_SANITIZE_CC:-gcc nor clang} can build with -fsanitize=address,undefined" \
        "(gcc needs Debian's libasan8 and libubsan1)" >&2
    exit 1
fi

cross=0
if [ "$host" = x86_64 ]; then
    cross=1
    missing=()
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=("aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)")
    command -v qemu-aarch64 >/dev/null 2>&1 || missing+=("qemu-aarch64 (Debian: qemu-user)")
    if [ ${#missing[@]} -gt 0 ]; then
        for m in "${missing[@]}"; do echo "test-c-kernels: missing $m" >&2; done
        echo "test-c-kernels: run scripts/bootstrap.sh (make bootstrap) to install them" >&2
        exit 1
    fi
fi

# ---- Builds, in parallel (the machine has two cores).

echo "test-c-kernels: ${#sources[@]} sources (the kernels and the JPEG shim): ${sources[*]}"
pids=()
names=()
build_one() {  # name, then the compiler command without its inputs and output
    local name=$1
    shift
    local inputs=("${sources[@]}") for_target=(-ljpeg)
    if [ "$name" = aarch64 ]; then
        # No libjpeg for the target: leave the shim out; its test group compiles to a skip.
        inputs=()
        for s in "${sources[@]}"; do [[ " ${jpeg_sources[*]} " == *" $s "* ]] || inputs+=("$s"); done
        for_target=(-DCK_NO_JPEG)
    fi
    ( "$@" "${inputs[@]}" "${tests[@]}" -o "$build/c-kernels-$name" "${libs[@]}" "${for_target[@]}" >"$build/build-$name.log" 2>&1 ) &
    pids+=($!)
    names+=("$name")
}
build_one native "$cc" -O2 "${flags[@]}"
clang=0
if [ "$(basename "$cc")" != clang ] && command -v clang >/dev/null 2>&1; then
    clang=1
    build_one clang clang -O2 "${flags[@]}"
fi
build_one sanitized "$sanitize_cc" "${sanitize_flags[@]}" "${sanitize_extra[@]}" "${flags[@]}"
[ $cross = 1 ] && build_one aarch64 aarch64-linux-gnu-gcc -O2 -static "${flags[@]}"
# A build that fails counts as one failed case and its runs are left out; the others still run.
declare -A built=()
failed_builds=()
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
        built[${names[$i]}]=1
    else
        echo "== build ${names[$i]}: FAILED; the compiler said:"
        sed 's/^/   | /' "$build/build-${names[$i]}.log"
        failed_builds+=("${names[$i]}")
    fi
done
echo "test-c-kernels: builds done in $((SECONDS - start)) s: native ($cc -O2)$([ $clang = 1 ] && echo ', clang (clang -O2)'), sanitized ($sanitize_cc -fsanitize=address,undefined)$([ $cross = 1 ] && echo ', aarch64 (aarch64-linux-gnu-gcc -O2 -static)')"

# ---- Runs: CK_JOBS at a time (default: the number of cores), reported in a fixed order.

jobs=${CK_JOBS:-$(nproc 2>/dev/null || echo 2)}
total_passed=0
total_failed=${#failed_builds[@]}
failed_runs=()
for b in "${failed_builds[@]}"; do failed_runs+=("build $b"); done
labels=()
declare -A run_binary=()
log_of() { echo "$build/run-${1//[^A-Za-z0-9]/_}.log"; }

start_run() {  # build, label, expected tier, then the command (env assignments through `env`)
    local binary=$1 label=$2 expect=$3
    shift 3
    labels+=("$label")
    run_binary[$label]=$binary
    [ -n "${built[$binary]:-}" ] || return 0
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    local log
    log=$(log_of "$label")
    (
        t0=$SECONDS rc=0
        CK_EXPECT_TIER=$expect "$@" >"$log" 2>&1 || rc=$?
        echo "$rc $((SECONDS - t0))" >"$log.status"
    ) &
}

report() {  # label
    local label=$1 log rc seconds summary p f
    if [ -z "${built[${run_binary[$label]}]:-}" ]; then
        echo "== $label: not run (the ${run_binary[$label]} build failed)"
        return
    fi
    log=$(log_of "$label")
    read -r rc seconds <"$log.status"
    summary=$(grep -E '^c-kernels: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
    if [ -n "$summary" ]; then
        p=$(sed -E 's/^c-kernels: ([0-9]+) passed.*/\1/' <<<"$summary")
        f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$summary")
        total_passed=$((total_passed + p))
        total_failed=$((total_failed + f))
    fi
    if [ "$rc" -ne 0 ] || [ -z "$summary" ]; then
        [ -z "$summary" ] && total_failed=$((total_failed + 1)) # crashed before its summary
        failed_runs+=("$label")
        echo "== $label: FAILED (exit $rc, $seconds s); its output:"
        sed 's/^/   | /' "$log"
    else
        echo "== $label: ${summary#c-kernels: } ($seconds s)"
        grep -E '^skipped:|^  deflate digest:|^  jpeg:|crc32c kernel' "$log" | sed -E 's/^c-kernels: //; s/^ +//; s/^/   /' || true
    fi
}

case $host in
x86_64) native_tiers=(portable avx2 avx512) ;;
aarch64) native_tiers=(portable armv8) ;;
*) native_tiers=(portable) ;;
esac
# The tiers this CPU can run, from the native build (or the sanitized one if that failed).
probe=native
[ -n "${built[native]:-}" ] || probe=sanitized
runnable=" $(env -u SHARDKIT_ISA "$build/c-kernels-$probe" --tiers 2>/dev/null || echo portable) "
best=$(awk '{print $NF}' <<<"$runnable")

# The slowest first: qemu emulates every instruction.
if [ $cross = 1 ]; then
    # qemu's "max" CPU has NEON and the CRC extension, so the best tier is armv8.
    start_run aarch64 "qemu-aarch64 armv8" armv8 env -u SHARDKIT_ISA qemu-aarch64 -cpu max "$build/c-kernels-aarch64"
    start_run aarch64 "qemu-aarch64 portable" portable env SHARDKIT_ISA=portable qemu-aarch64 -cpu max "$build/c-kernels-aarch64"
fi
# detect_leaks: the tests free what they allocate, so a leak is a failure too.
sanitizer_env=(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
start_run sanitized "asan+ubsan $host $best" "$best" env -u SHARDKIT_ISA "${sanitizer_env[@]}" "$build/c-kernels-sanitized"
start_run sanitized "asan+ubsan $host portable" portable env SHARDKIT_ISA=portable "${sanitizer_env[@]}" "$build/c-kernels-sanitized"
skipped_tiers=()
for tier in "${native_tiers[@]}"; do
    if [[ $runnable == *" $tier "* ]]; then
        start_run native "native $host $tier" "$tier" env SHARDKIT_ISA="$tier" "$build/c-kernels-native"
    else
        skipped_tiers+=("skipped: $tier: this CPU's best kernel tier is $best (runnable: ${runnable# })")
    fi
done
[ $clang = 1 ] && start_run clang "clang $host $best" "$best" env -u SHARDKIT_ISA "$build/c-kernels-clang"
wait

for label in "${labels[@]}"; do report "$label"; done
for line in "${skipped_tiers[@]}"; do echo "$line"; done

echo "test-c-kernels: $((SECONDS - start)) s in all"
if [ ${#failed_runs[@]} -gt 0 ]; then
    echo "test-c-kernels: FAILED: $(IFS=,; echo "${failed_runs[*]}" | sed 's/,/, /g')"
fi
echo "c-kernels: $total_passed passed, $total_failed failed"
[ ${#failed_runs[@]} -eq 0 ]
