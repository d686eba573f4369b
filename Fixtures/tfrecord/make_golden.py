"""Writes the golden TFRecord files that ShardKit's tests read: records made by TensorFlow's own
writer (plain, GZIP and ZLIB), with bytes, int64 and float features, and expected.json holding every
value as written. Run once with a Python that has TensorFlow 2.21 (scripts/setup-python.sh):

    python Fixtures/tfrecord/make_golden.py

The records are deterministic; the files are committed, so tests never need TensorFlow to read them.
"""
import json
import os
import struct

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
F, BL, IL, FL = tf.train.Feature, tf.train.BytesList, tf.train.Int64List, tf.train.FloatList


def f32(x):
    """x rounded to float32, as TensorFlow stores it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def records():
    out = []
    for i in range(12):
        image = bytes((i * 31 + j * 7) % 256 for j in range(i * 37))         # 0 to 407 bytes
        ints = [i, -i, i * 1_000_000_007, -(2 ** 63) if i == 3 else 2 ** 63 - 1 - i][: 1 + i % 4]
        floats = [f32(i * 0.1), f32(-1.5 * i), f32(1e-40), f32(3.4e38)][: i % 5]
        names = [f"name-{i}".encode(), "ünïcødé-字".encode(), b""][: i % 4]
        out.append({"image": image, "ints": ints, "floats": floats, "names": names, "label": i % 10})
    return out


def example(r):
    return tf.train.Example(features=tf.train.Features(feature={
        "image": F(bytes_list=BL(value=[r["image"]])),
        "ints": F(int64_list=IL(value=r["ints"])),
        "floats": F(float_list=FL(value=r["floats"])),
        "names": F(bytes_list=BL(value=r["names"])),
        "label": F(int64_list=IL(value=[r["label"]])),
    }))


def main():
    recs = records()
    for compression, suffix in (("", ""), ("GZIP", ".gz"), ("ZLIB", ".zlib")):
        path = os.path.join(HERE, f"tf-golden.tfrecord{suffix}")
        with tf.io.TFRecordWriter(path, options=tf.io.TFRecordOptions(compression_type=compression)) as w:
            for r in recs:
                w.write(example(r).SerializeToString())
    expected = [{"image": r["image"].hex(), "ints": r["ints"],
                 "floats": [struct.pack("<f", x).hex() for x in r["floats"]],   # exact bits
                 "names": [n.hex() for n in r["names"]], "label": r["label"]} for r in recs]
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"records": expected, "note": "bytes as hex; floats as little-endian float32 bits in hex"},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    # An empty file is a valid TFRecord file with zero records.
    with tf.io.TFRecordWriter(os.path.join(HERE, "tf-empty.tfrecord")):
        pass


if __name__ == "__main__":
    main()
