#!/usr/bin/env bash
# Regenerates the committed fixtures: the raw dataset formats with Fixtures/generate.py, and with no
# arguments also the TFRecord files TensorFlow writes (Fixtures/tfrecord/make_golden.py) and the
# tf.image / Pillow golden outputs (Fixtures/imaging/make_golden.py). Deterministic: rerunning gives
# the same bytes. Usage:
#   scripts/make-fixtures.sh            # everything
#   scripts/make-fixtures.sh mnist svhn # some raw formats (mnist, cifar, hwdb, svhn, svhn-cropped, folder, mnist-variants)
# The Python must have numpy, h5py and Pillow: $SHARDKIT_VENV (default ~/.cache/shardkit-venv)
# is tried first, then ~/.cache/shardkit-anchors.
set -euo pipefail
cd "$(dirname "$0")/.."
python=""
for candidate in "${SHARDKIT_VENV:-$HOME/.cache/shardkit-venv}/bin/python" "$HOME/.cache/shardkit-anchors/bin/python"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import numpy, h5py, PIL' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "make-fixtures: no Python with numpy, h5py and Pillow (run scripts/setup-python.sh)" >&2
    exit 1
fi
"$python" Fixtures/generate.py "$@"
if [ $# -eq 0 ]; then
    tf_python=$(scripts/setup-python.sh | tail -1)   # TensorFlow 2.21 for the golden files
    "$tf_python" Fixtures/tfrecord/make_golden.py
    "$tf_python" Fixtures/imaging/make_golden.py
fi
