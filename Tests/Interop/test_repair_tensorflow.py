"""TensorFlow reads what `shardkit repair` writes from a damaged dataset: tf.data stops at the
damage in the source, reads every record of the repaired copy, and each record holds the values
`shardkit generate`'s formula gives its id; TFDS loads the copy with the new counts."""
import glob
import json
import os

import pytest
import tensorflow as tf

from test_tensorflow_reads_shardkit import SPEC, expected


def shard_files(directory):
    return sorted(f for f in glob.glob(os.path.join(directory, "generated-train.tfrecord-*"))
                  if not f.endswith(".index"))


def index_lines(shard):
    """`(offset, length)` of each record, from the shard's index file in the dataset's index/ folder."""
    index = os.path.join(os.path.dirname(shard), "index", os.path.basename(shard) + ".index")
    with open(index) as f:
        return [tuple(map(int, line.split()[:2])) for line in f]


def damage(src):
    """Flips a payload byte of record 4, a length byte of record 15, and cuts the last shard
    inside record 27: records 4, 15 and 27-29 are lost."""
    shards = shard_files(src)
    for shard, record, change in [(shards[0], 4, "payload"), (shards[1], 5, "length")]:
        offset, _ = index_lines(shard)[record]
        data = bytearray(open(shard, "rb").read())
        data[offset + (12 + 9 if change == "payload" else 3)] ^= 0x10
        open(shard, "wb").write(bytes(data))
    offset, _ = index_lines(shards[2])[7]
    data = open(shards[2], "rb").read()
    open(shards[2], "wb").write(data[:offset + 30])


def ids(files, compression=""):
    out = []
    for raw in tf.data.TFRecordDataset(files, compression_type=compression):
        got = tf.io.parse_single_example(raw, SPEC)
        i = int(got["id"].numpy().decode().split("-")[1])
        want = expected(i)
        assert got["image"].numpy() == want["image"], i
        assert int(got["length"]) == want["length"], i
        assert got["digits"].numpy().tolist() == want["digits"], i
        assert float(got["weight"]) == want["weight"], i
        out.append(i)
    return out


def test_tf_reads_the_repaired_copy(shardkit, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    shardkit("generate", "--output", src, "--records", 30, "--shards", 3, "--quiet")
    damage(str(src))
    with pytest.raises(tf.errors.DataLossError):
        ids(shard_files(str(src)))

    result = shardkit("repair", src, "--output", dst, "--quiet", check=False)
    assert result.returncode == 1, result.stderr
    lost = {4, 15, 27, 28, 29}
    assert ids(shard_files(str(dst))) == [i for i in range(30) if i not in lost]

    report = json.loads((dst / "repair-report.json").read_text())
    assert report["recordsKept"] == 25 and report["recordsDropped"] == 5
    assert [(d["file"], d["recordIndex"]) for d in report["dropped"]] == [
        ("generated-train.tfrecord-00000-of-00003", 4),
        ("generated-train.tfrecord-00001-of-00003", 5),
        ("generated-train.tfrecord-00002-of-00003", 7),
    ]
    assert shardkit("verify", dst, "--quiet", check=False).returncode == 0


def test_tfds_loads_the_repaired_copy(shardkit, tmp_path):
    import tensorflow_datasets as tfds

    src, dst = tmp_path / "src", tmp_path / "dst"
    shardkit("generate", "--output", src, "--records", 30, "--shards", 3, "--quiet")
    damage(str(src))
    shardkit("repair", src, "--output", dst, "--quiet", check=False)
    builder = tfds.builder_from_directory(str(dst))
    assert builder.info.splits["train"].num_examples == 25
    assert builder.info.splits["train"].shard_lengths == [8, 8, 9]
    got = [int(r["id"].decode().split("-")[1])
           for r in tfds.as_numpy(builder.as_dataset(split="train", shuffle_files=False))]
    assert got == [i for i in range(30) if i not in {4, 15, 27, 28, 29}]


@pytest.mark.parametrize("compression", ["gzip", "zlib"])
def test_tf_reads_a_repaired_compressed_copy(shardkit, tmp_path, compression):
    src, dst = tmp_path / "src", tmp_path / "dst"
    shardkit("generate", "--output", src, "--records", 20, "--shards", 2, "--compression", compression, "--quiet")
    shard = shard_files(str(src))[1]
    data = bytearray(open(shard, "rb").read())
    data[len(data) // 2] ^= 0x55
    open(shard, "wb").write(bytes(data))
    result = shardkit("repair", src, "--output", dst, "--quiet", check=False)
    assert result.returncode == 1, result.stderr
    kept = json.loads((dst / "repair-report.json").read_text())["recordsKept"]
    tf_compression = {"gzip": "GZIP", "zlib": "ZLIB"}[compression]
    assert ids(shard_files(str(dst)), tf_compression) == list(range(kept))
    assert 10 <= kept < 20
