#!/usr/bin/env bash
# The whole test suite: the Swift tests (every module), then the interoperability tests in which a
# real TensorFlow reads what shardkit writes and shardkit reads what TensorFlow wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/setup-python.sh | tail -1)

swift build --build-tests
swift test --skip-build --parallel --num-workers 2

SHARDKIT_BIN="$(swift build --show-bin-path)/shardkit" "$python" -m pytest -q Tests/Interop
