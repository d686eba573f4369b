"""The baseline for `shardkit convert hwdb`: CASIA HWDB `.gnt` files to TFRecord the way the widely
copied notebooks do it, in one process. A generator reads each file with a loop of
`np.fromfile(f, np.uint8, 10)` for the header (sample size, tag code `header[5] + (header[4] << 8)`,
width, height) and `np.fromfile(f, np.uint8, w*h).reshape(h, w)` for the bitmap. A first pass over
that generator collects the characters (tag codes decoded through GB2312) into the sorted label
dictionary; the second pass resizes each bitmap to 64×64 with Pillow, PNG-encodes it, and writes an
Example (image, label, character) with tf.io.TFRecordWriter into one file. A plain port of that
method, not a tuned rewrite.

One change to the notebooks' lines: the header bytes are turned into Python ints before shifting.
Under NumPy 2, `header[4] << 8` on a uint8 stays uint8 and silently gives 0, so the notebooks'
exact expression decodes wrong characters today.

    python py_convert_hwdb.py --input DIR/train --output FILE [--files N]
Last line: RESULT name=py_convert_hwdb_fullsize value=<samples/s> unit=images/s seconds=… n=…
(seconds from after the imports to the closed file, both passes).
"""
import argparse
import io
import os
import struct
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True, help="folder of .gnt files")
ap.add_argument("--output", required=True, help="the TFRecord file to write")
ap.add_argument("--files", type=int, default=None, help="only the first N files (a stated fraction)")
a = ap.parse_args()


def read_from_gnt_dir(gnt_dir):
    def one_file(f):
        header_size = 10
        while True:
            header = np.fromfile(f, dtype=np.uint8, count=header_size)
            if not header.size:
                break
            sample_size = int(header[0]) + (int(header[1]) << 8) + (int(header[2]) << 16) + (int(header[3]) << 24)
            tagcode = int(header[5]) + (int(header[4]) << 8)
            width = int(header[6]) + (int(header[7]) << 8)
            height = int(header[8]) + (int(header[9]) << 8)
            if header_size + width * height != sample_size:
                break
            image = np.fromfile(f, dtype=np.uint8, count=width * height).reshape((height, width))
            yield image, tagcode

    names = sorted(n for n in os.listdir(gnt_dir) if n.endswith(".gnt"))[: a.files]
    for file_name in names:
        with open(os.path.join(gnt_dir, file_name), "rb") as f:
            for image, tagcode in one_file(f):
                yield image, tagcode


t0 = time.perf_counter()
# First pass: the label dictionary.
char_set = set()
for _, tagcode in read_from_gnt_dir(a.input):
    char_set.add(struct.pack(">H", tagcode).decode("gb2312"))
char_dict = dict(zip(sorted(char_set), range(len(char_set))))
t1 = time.perf_counter()

# Second pass: the records.
n = 0
with tf.io.TFRecordWriter(a.output) as writer:
    for image, tagcode in read_from_gnt_dir(a.input):
        character = struct.pack(">H", tagcode).decode("gb2312")
        buf = io.BytesIO()
        Image.fromarray(image).resize((64, 64)).save(buf, format="PNG")
        example = tf.train.Example(features=tf.train.Features(feature={
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buf.getvalue()])),
            "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[char_dict[character]])),
            "character": tf.train.Feature(bytes_list=tf.train.BytesList(value=[character.encode("utf-8")])),
        }))
        writer.write(example.SerializeToString())
        n += 1
dt = time.perf_counter() - t0
print(f"RESULT name=py_convert_hwdb_fullsize value={n / dt:.6g} unit=images/s seconds={dt:.4g} n={n} "
      f"classes={len(char_dict)} first_pass_seconds={t1 - t0:.4g}")
