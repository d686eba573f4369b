#!/usr/bin/env bash
# The main job on the embedded fixtures: what `make demo` runs after building. Each step prints
# what it did; the output lands in out/demo (override with DEMO_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/shardkit}
out=${DEMO_OUT:-out/demo}
rm -rf "$out"; mkdir -p "$out"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Write 2,000 generated digit-string records into 4 GZIP shards" \
    "$bin" generate --output "$out/generated" --records 2000 --shards 4 --compression gzip
step "Inspect them: counts, schema, the first record, the length histogram" \
    "$bin" inspect "$out/generated" --dump 1 --histogram length
step "Verify every checksum and the manifest" \
    "$bin" verify "$out/generated"
printf '\ndemo: done; shards, index files and manifest.json are in %s\n' "$out"
