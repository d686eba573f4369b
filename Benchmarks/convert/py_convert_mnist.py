"""The baseline for `shardkit convert mnist`: the way the usual notebooks turn MNIST idx files into
TFRecord shards — read the whole file with numpy, PNG-encode each digit with Pillow, build a
tf.train.Example and write it with tf.io.TFRecordWriter, into --shards shards.

    python py_convert_mnist.py --input DIR --output DIR [--shards 4]
Last line: RESULT name=py_convert_mnist value=<images/s> unit=images/s ...
"""
import argparse
import io
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True)
ap.add_argument("--output", required=True)
ap.add_argument("--shards", type=int, default=4)
a = ap.parse_args()

t0 = time.perf_counter()
with open(os.path.join(a.input, "train-images-idx3-ubyte"), "rb") as f:
    images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
with open(os.path.join(a.input, "train-labels-idx1-ubyte"), "rb") as f:
    labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
n = len(labels)
os.makedirs(a.output, exist_ok=True)
for k in range(a.shards):
    lo, hi = k * n // a.shards, (k + 1) * n // a.shards
    path = os.path.join(a.output, f"mnist-train.tfrecord-{k:05d}-of-{a.shards:05d}")
    with tf.io.TFRecordWriter(path) as w:
        for i in range(lo, hi):
            buf = io.BytesIO()
            Image.fromarray(images[i]).save(buf, format="PNG")
            ex = tf.train.Example(features=tf.train.Features(feature={
                "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buf.getvalue()])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(labels[i])])),
            }))
            w.write(ex.SerializeToString())
dt = time.perf_counter() - t0
print(f"RESULT name=py_convert_mnist value={n / dt:.6g} unit=images/s seconds={dt:.4g} n={n} shards={a.shards}")
