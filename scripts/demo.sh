#!/usr/bin/env bash
# The main job on the embedded fixtures: what `make demo` runs after building.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/shardkit}
out=${DEMO_OUT:-out/demo}
rm -rf "$out"; mkdir -p "$out"
"$bin" demo --output "$out" 2>/dev/null || "$bin" demo
