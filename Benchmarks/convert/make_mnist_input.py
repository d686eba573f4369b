"""Makes a benchmark-sized MNIST idx input by tiling the fixture digit set (Fixtures/digits) to
--n images: raw `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` in --output. Written one
copy of the fixture set at a time, so 6,000,000 images (4.7 GB) take no more memory than 60,000;
the labels file is written last, so its presence means the images are complete."""
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
os.makedirs(a.output, exist_ok=True)
with open(os.path.join(a.output, "train-images-idx3-ubyte"), "wb") as f:
    f.write(struct.pack(">IIII", 2051, a.n, 28, 28))
    for start in range(0, a.n, len(images)):
        f.write(images[: a.n - start].tobytes())
with open(os.path.join(a.output, "train-labels-idx1-ubyte"), "wb") as f:
    f.write(struct.pack(">II", 2049, a.n))
    for start in range(0, a.n, len(labels)):
        f.write(labels[: a.n - start].tobytes())
