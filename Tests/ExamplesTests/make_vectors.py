# Generates the golden byte vectors hard-coded in GoldenVectorTests.swift.
# Run once with TensorFlow's Python (2.21, protobuf): ~/.cache/shardkit-anchors/bin/python make_vectors.py
# The printed hex strings are pasted into the Swift tests; they are not regenerated at test time.
import struct
import tensorflow as tf

def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]

ex = tf.train.Example(features=tf.train.Features(feature={
    "bytes": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"", b"\x00\xff", b"hello"])),
    "int64": tf.train.Feature(int64_list=tf.train.Int64List(value=[0, 1, -1, -2**63, 2**63 - 1, 300])),
    "float": tf.train.Feature(float_list=tf.train.FloatList(value=[
        0.0, f32(0x80000000), f32(0x7FC00000), float("inf"), float("-inf"), 1.5,
        f32(0x00000001), f32(0x7F7FFFFF)])),
    "empty_b": tf.train.Feature(bytes_list=tf.train.BytesList()),
    "empty_f": tf.train.Feature(float_list=tf.train.FloatList()),
    "empty_i": tf.train.Feature(int64_list=tf.train.Int64List()),
    "\u043a\u043b\u044e\u0447": tf.train.Feature(int64_list=tf.train.Int64List(value=[7])),
    "none": tf.train.Feature(),
}))
print("example:", ex.SerializeToString().hex())

seq = tf.train.SequenceExample(
    context=tf.train.Features(feature={
        "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"seq-1"])),
    }),
    feature_lists=tf.train.FeatureLists(feature_list={
        "tokens": tf.train.FeatureList(feature=[
            tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2])),
            tf.train.Feature(int64_list=tf.train.Int64List(value=[3])),
        ]),
        "scores": tf.train.FeatureList(feature=[
            tf.train.Feature(float_list=tf.train.FloatList(value=[0.25])),
        ]),
        "empty": tf.train.FeatureList(),
    }))
print("sequence:", seq.SerializeToString().hex())

# The MNIST-digit-string shape: image bytes, length, digits padded with 10.
digits = tf.train.Example(features=tf.train.Features(feature={
    "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[bytes(range(8))])),
    "length": tf.train.Feature(int64_list=tf.train.Int64List(value=[2])),
    "digits": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 10, 10, 10])),
}))
print("digits:", digits.SerializeToString().hex())
print("empty:", tf.train.Example().SerializeToString().hex())
