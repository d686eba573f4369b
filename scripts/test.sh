#!/usr/bin/env bash
# The whole test suite: the Swift tests (every module), the kernel-level suites once more capped at
# the portable tier, the C kernels on their own (native, under ASan/UBSan, and for aarch64 under
# qemu), then the interoperability tests in which a real TensorFlow reads what shardkit writes and
# shardkit reads what TensorFlow wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
# Run inside a Slurm array task or an Indexed Job, plain converts would become workers.
unset SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX
python=$(scripts/setup-python.sh | tail -1)

# step TITLE: prints the title, after the time the previous step took (the suite's slow parts
# show in every log, CI's included).
step_started=$SECONDS
step_title=""
step() {
    [ -z "$step_title" ] || echo "== ($step_title: $((SECONDS - step_started)) s)"
    step_title=$1; step_started=$SECONDS
    echo "== $1"
}

step "doc comments: /// on every public declaration of the documented modules (no build)"
"$python" scripts/doc-coverage.py

step "build: debug, with the tests"
swift build --build-tests
bin="$(swift build --show-bin-path)/shardkit"
step "kernels on this machine"
"$bin" --version

step "Swift tests (kernel tier in force: the CPU's best)"
swift test --skip-build --parallel --num-workers 2

# The tier is decided once per process, so the fallbacks get a run of their own; tests of tiers
# above the cap report themselves skipped, with the reason.
step "kernel-level Swift tests capped at the portable tier (SHARDKIT_ISA=portable)"
SHARDKIT_ISA=portable swift test --skip-build --parallel --num-workers 2 \
    --filter 'CRC32C|GEMM|ConvPath|Gradient|ModelTests|CPUFeatures|VersionCommand|PNG|ShardBytes'

step "C kernels on their own: every tier here, under ASan/UBSan, and for aarch64 under qemu"
scripts/test-c-kernels.sh

step "Slurm: a one-node cluster here runs examples/slurm/ (job arrays, then commit)"
SHARDKIT_BIN="$bin" scripts/test-slurm.sh

step "fuzz harnesses once over their committed corpus (libFuzzer, ASan, leak checks)"
scripts/fuzz.sh --regress

step "TensorFlow interoperability"
SHARDKIT_BIN="$bin" "$python" -m pytest -q Tests/Interop
step "all steps: $SECONDS s"
