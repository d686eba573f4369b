#!/usr/bin/env bash
# The main job on the embedded fixtures: what `make demo` runs after building. Each step prints
# the command and what it did; everything lands in out/demo (override with DEMO_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/shardkit}
out=${DEMO_OUT:-out/demo}
rm -rf "$out"; mkdir -p "$out"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
has() { "$bin" "$1" --help >/dev/null 2>&1; }

# 1. The main job: every fixture dataset, as its authors ship it, converted to shards.
step "Convert the MNIST-format digit set (PNG images, TFDS layout)" \
    "$bin" convert mnist --input Fixtures/digits --output "$out/digits" --shards 2
step "Convert CIFAR-10" "$bin" convert cifar10 --input Fixtures/cifar10 --output "$out/cifar10"
step "Convert CIFAR-100" "$bin" convert cifar100 --input Fixtures/cifar100 --output "$out/cifar100"
step "Convert SVHN format 1 (digitStruct.mat through libhdf5; crops resized to 64x64)" \
    "$bin" convert svhn --input Fixtures/svhn --output "$out/svhn" --validation-fraction 0.5
step "Convert HWDB .gnt handwritten characters (64x64 gray, character dictionary)" \
    "$bin" convert hwdb --input Fixtures/hwdb --output "$out/hwdb"

# 2. Look inside: counts, schema, a record, label histograms; then every checksum.
step "Inspect the converted digits: schema and label histogram" \
    "$bin" inspect "$out/digits" --histogram label
step "Inspect SVHN: the first record as JSON" "$bin" inspect "$out/svhn" --dump 1
step "Verify every record of every converted dataset, and each manifest" \
    "$bin" verify "$out/digits" "$out/cifar10" "$out/cifar100" "$out/svhn" "$out/hwdb"

# 3. Generated records, GZIP-compressed, for any TFRecord reader.
step "Write 2,000 generated records into 4 GZIP shards" \
    "$bin" generate --output "$out/generated" --records 2000 --shards 4 --compression gzip --quiet
step "Verify them" "$bin" verify "$out/generated"

# 4. Multi-digit strings and pictures (when this build has them).
if has synth; then
    step "Synthesize 2,000 digit strings from the digit set, with a preview sheet" \
        "$bin" synth --digits Fixtures/digits --output "$out/strings" --count 2000 --test-count 200 \
        --preview "$out/strings-preview.png"
fi
if "$bin" inspect --help | grep -q -- '--grid'; then
    for d in digits cifar10 svhn hwdb; do
        step "Contact sheet of $d" "$bin" inspect "$out/$d" --grid "$out/$d.png" --count 24 --quiet
    done
fi

# 5. The trainer: a short run that proves the shards end to end (when this build has it).
if has train; then
    printf '\n== Train the multi-digit net briefly on synthesized strings, then evaluate it\n'
    SHARDKIT_BIN="$bin" ACCEPT_OUT="$out/train" scripts/accept.sh --demo
fi
printf '\ndemo: done; everything is in %s\n' "$out"
