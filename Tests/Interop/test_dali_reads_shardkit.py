"""NVIDIA DALI's CPU-only TFRecord reader (`fn.readers.tfrecord`, no GPU on this machine) reads
our shards through our own index files (`index/<shard>.index`, fixed-width `offset length`
lines), and every record equals what tf.data reads from the same shard."""
import glob
import os

import pytest

dali = pytest.importorskip("nvidia.dali", reason="nvidia-dali-cuda120 is not installed")
from nvidia.dali import fn, pipeline_def  # noqa: E402
import nvidia.dali.tfrecord as tfrec  # noqa: E402
import tensorflow as tf  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures")


def read_with_dali(shard, index, count):
    @pipeline_def(batch_size=1, num_threads=1, device_id=None)  # device_id=None: CPU only
    def pipe():
        record = fn.readers.tfrecord(
            path=shard, index_path=index, random_shuffle=False,
            features={
                "image": tfrec.FixedLenFeature((), tfrec.string, ""),
                "label": tfrec.FixedLenFeature([1], tfrec.int64, -1),
            })
        return record["image"], record["label"]

    p = pipe()
    p.build()
    out = []
    for _ in range(count):
        images, labels = p.run()
        out.append((bytes(images.at(0)), int(labels.at(0)[0])))
    return out


def read_with_tf(shard):
    spec = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}
    return [(r["image"].numpy(), int(r["label"].numpy()))
            for r in tf.data.TFRecordDataset(shard).map(lambda x: tf.io.parse_single_example(x, spec))]


def test_dali_reads_our_shards_through_our_index_files(shardkit, tmp_path):
    out = tmp_path / "mnist"
    shardkit("convert", "mnist", "--input", os.path.join(FIXTURES, "mnist"), "--output", out, "--shards", "2", "--quiet")
    shards = sorted(glob.glob(str(out / "mnist-train.tfrecord-*-of-*")))
    assert len(shards) == 2
    total = 0
    for shard in shards:
        index = os.path.join(out, "index", os.path.basename(shard) + ".index")
        expected = read_with_tf(shard)
        assert read_with_dali(shard, index, len(expected)) == expected
        total += len(expected)
    assert total == 20
