#!/usr/bin/env bash
# Creates (once) the cached Python environment the interoperability tests and benchmarks use:
# TensorFlow 2.21 CPU, TFDS, Pillow, h5py, pytest and friends, from the package index.
# Path: $SHARDKIT_VENV, default ~/.cache/shardkit-venv. Prints the python path on the last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${SHARDKIT_VENV:-$HOME/.cache/shardkit-venv}
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$venv/bin/python"; exit 0
fi
echo "setup-python: creating $venv (TensorFlow and friends; a few minutes the first time)" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >&2
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
"$venv/bin/python" -c 'import tensorflow as tf, tensorflow_datasets, PIL, h5py, pytest; print("setup-python: tensorflow", tf.__version__)' >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
