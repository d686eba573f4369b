"""Makes a benchmark-sized MNIST idx input by tiling the fixture digit set (Fixtures/digits) to
--n images: raw `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` in --output."""
import argparse
import gzip
import os
import struct

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--fixtures", required=True)
ap.add_argument("--output", required=True)
ap.add_argument("--n", type=int, default=60000)
a = ap.parse_args()


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(a.fixtures, name)):
            return os.path.join(a.fixtures, name)
    raise SystemExit(f"no {stem}[.gz] in {a.fixtures}")


images = read_idx(find("train-images-idx3-ubyte"))
labels = read_idx(find("train-labels-idx1-ubyte"))
reps = -(-a.n // len(labels))
images = np.tile(images, (reps, 1, 1))[: a.n]
labels = np.tile(labels, reps)[: a.n]
os.makedirs(a.output, exist_ok=True)
with open(os.path.join(a.output, "train-images-idx3-ubyte"), "wb") as f:
    f.write(struct.pack(">IIII", 2051, a.n, 28, 28) + images.tobytes())
with open(os.path.join(a.output, "train-labels-idx1-ubyte"), "wb") as f:
    f.write(struct.pack(">II", 2049, a.n) + labels.tobytes())
