"""TensorFlow 2.21 reads what `shardkit generate` writes (plain, GZIP, ZLIB), and every value equals
what the generator's documented formula says was written (Sources/Pipeline/Generate)."""
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys

import pytest
import tensorflow as tf

SPEC = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "length": tf.io.FixedLenFeature([], tf.int64),
    "digits": tf.io.FixedLenFeature([5], tf.int64),
    "weight": tf.io.FixedLenFeature([], tf.float32),
    "id": tf.io.FixedLenFeature([], tf.string),
}


def expected(i):
    """The generator's formula for record i (see SyntheticRecords.swift)."""
    length = 1 + i % 5
    return {
        "image": bytes((i + j * 7) % 251 for j in range(28 * 140)),
        "length": length,
        "digits": [(i + 3 * k) % 10 if k < length else 10 for k in range(5)],
        "weight": struct.unpack("<f", struct.pack("<f", i * 0.25))[0],
        "id": f"record-{i:06d}".encode(),
    }


@pytest.mark.parametrize("compression", ["none", "gzip", "zlib"])
def test_tf_reads_every_value(shardkit, tmp_path, compression):
    n, shards = 57, 3
    shardkit("generate", "--output", tmp_path, "--records", n, "--shards", shards,
             "--compression", compression, "--quiet")
    files = sorted(glob.glob(str(tmp_path / "generated-train.tfrecord*")))
    assert [os.path.basename(f) for f in files] == [
        f"generated-train.tfrecord-{k:05d}-of-{shards:05d}" for k in range(shards)]
    tf_compression = {"none": "", "gzip": "GZIP", "zlib": "ZLIB"}[compression]
    ds = tf.data.TFRecordDataset(files, compression_type=tf_compression)
    seen = 0
    for i, raw in enumerate(ds):
        got = tf.io.parse_single_example(raw, SPEC)
        want = expected(i)
        assert got["image"].numpy() == want["image"], i
        assert int(got["length"]) == want["length"], i
        assert got["digits"].numpy().tolist() == want["digits"], i
        assert float(got["weight"]) == want["weight"], i
        assert got["id"].numpy() == want["id"], i
        seen += 1
    assert seen == n


def test_manifest_and_index_files_agree_with_the_bytes(shardkit, tmp_path):
    shardkit("generate", "--output", tmp_path, "--records", 40, "--shards", 2, "--quiet")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    shards = manifest["splits"]["train"]["shards"]
    assert sum(s["records"] for s in shards) == 40
    for s in shards:
        data = (tmp_path / s["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s["sha256"]
        assert len(data) == s["bytes"]
        # Index lines are `offset length`: each points at a whole framed record.
        assert s["index"] == f"index/{s['file']}.index"
        lines = (tmp_path / s["index"]).read_text().splitlines()
        assert len(lines) == s["records"]
        position = 0
        for line in lines:
            offset, length = map(int, line.split())
            assert offset == position
            (payload_length,) = struct.unpack("<Q", data[offset:offset + 8])
            assert length == payload_length + 16
            position += length
        assert position == len(data)
    keys = {f["key"]: f for f in manifest["features"]}
    assert keys["digits"]["kind"] == "int64" and keys["digits"]["minCount"] == 5 and keys["digits"]["maxCount"] == 5
    assert keys["image"]["kind"] == "bytes"
    assert keys["weight"]["kind"] == "float"


def test_tfrecord_package_reads_with_our_index(shardkit, tmp_path):
    """The PyTorch-side `tfrecord` package reads a shard through the index file we wrote. It runs in
    a child process: that package and TensorFlow register the same protobuf names."""
    shardkit("generate", "--output", tmp_path, "--records", 12, "--shards", 1, "--quiet")
    shard = tmp_path / "generated-train.tfrecord-00000-of-00001"
    script = (
        "import sys, json\n"
        "from tfrecord.reader import tfrecord_loader\n"
        "rs = tfrecord_loader(sys.argv[1], sys.argv[2], {'length': 'int', 'id': 'byte'}, shard=(1, 2))\n"
        "print(json.dumps([[int(r['length'][0]), bytes(r['id']).decode()] for r in rs]))\n")
    index = tmp_path / "index" / "generated-train.tfrecord-00000-of-00001.index"
    out = subprocess.run([sys.executable, "-c", script, str(shard), str(index)], capture_output=True, text=True, check=True)
    # The second half of the index: records 6 to 11.
    assert json.loads(out.stdout) == [[1 + i % 5, f"record-{i:06d}"] for i in range(6, 12)]


def test_tfds_builder_from_directory_loads_generate(shardkit, tmp_path):
    """generate writes features.json and dataset_info.json like every other command, so TFDS
    decodes its records (raw image tensor, scalars, the digits tensor, a float and text)."""
    import tensorflow_datasets as tfds

    shardkit("generate", "--output", tmp_path, "--records", 9, "--shards", 2, "--quiet")
    builder = tfds.builder_from_directory(str(tmp_path))
    assert builder.info.splits["train"].num_examples == 9
    for i, record in enumerate(tfds.as_numpy(builder.as_dataset(split="train", shuffle_files=False))):
        want = expected(i)
        assert record["image"].tobytes() == want["image"]
        assert record["image"].shape == (28, 140, 1)
        assert int(record["length"]) == want["length"]
        assert list(record["digits"]) == want["digits"]
        assert float(record["weight"]) == want["weight"]
        assert record["id"] == want["id"]
