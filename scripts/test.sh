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

echo "== doc comments: /// on every public declaration of the documented modules (no build)"
"$python" scripts/doc-coverage.py

swift build --build-tests
bin="$(swift build --show-bin-path)/shardkit"
echo "== kernels on this machine"
"$bin" --version

echo "== Swift tests (kernel tier in force: the CPU's best)"
swift test --skip-build --parallel --num-workers 2

# The tier is decided once per process, so the fallbacks get a run of their own; tests of tiers
# above the cap report themselves skipped, with the reason.
echo "== kernel-level Swift tests capped at the portable tier (SHARDKIT_ISA=portable)"
SHARDKIT_ISA=portable swift test --skip-build --parallel --num-workers 2 \
    --filter 'CRC32C|GEMM|ConvPath|Gradient|ModelTests|CPUFeatures|VersionCommand|PNG|ShardBytes'

echo "== C kernels on their own: every tier here, under ASan/UBSan, and for aarch64 under qemu"
scripts/test-c-kernels.sh

echo "== Slurm: a one-node cluster here runs examples/slurm/ (job arrays, then commit)"
SHARDKIT_BIN="$bin" scripts/test-slurm.sh

echo "== fuzz harnesses once over their committed corpus (libFuzzer, ASan, leak checks)"
scripts/fuzz.sh --regress

echo "== TensorFlow interoperability"
SHARDKIT_BIN="$bin" "$python" -m pytest -q Tests/Interop
