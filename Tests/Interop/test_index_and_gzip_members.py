"""Output every reader takes: the shards' glob pattern matches shards only (index files live in
index/), the `tfrecord` package reads our shards through our index files (plain and GZIP), and a
GZIP shard written as a sequence of gzip members is an ordinary GZIP TFRecord file for TensorFlow
and Python's gzip, whose index points into its members."""
import glob
import json
import os
import struct
import subprocess
import sys
import zlib

import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures")
TF_COMPRESSION = {"none": "", "gzip": "GZIP", "zlib": "ZLIB"}


def manifest(directory):
    return json.loads((directory / "manifest.json").read_text())


# ---- The glob pattern ----------------------------------------------------------------------------

WRITERS = {
    "convert": lambda out, c: ["convert", "mnist", "--input", os.path.join(FIXTURES, "digits"), "--output", out,
                               "--shards", 2, "--compression", c],
    "generate": lambda out, c: ["generate", "--output", out, "--records", 40, "--shards", 3, "--compression", c],
    "synth": lambda out, c: ["synth", "--digits", os.path.join(FIXTURES, "digits"), "--output", out, "--count", 30,
                             "--test-count", 10],  # synth writes plain shards only
}
CASES = [(w, c) for w in ("convert", "generate") for c in ("none", "gzip", "zlib")] + [("synth", "none")]


@pytest.mark.parametrize("command,compression", CASES)
def test_the_shard_glob_reads_everything_it_finds(shardkit, tmp_path, command, compression):
    """`tf.io.gfile.glob("dir/<name>-<split>.tfrecord*")`, all of it into TFRecordDataset: no index
    file among them, no error, every record of the manifest."""
    out = tmp_path / "out"
    shardkit(*WRITERS[command](out, compression), "--quiet")
    m = manifest(out)
    for split, entry in m["splits"].items():
        files = sorted(tf.io.gfile.glob(str(out / f"{m['name']}-{split}.tfrecord*")))
        assert [os.path.basename(f) for f in files] == [s["file"] for s in entry["shards"]]
        count = sum(1 for _ in tf.data.TFRecordDataset(files, compression_type=TF_COMPRESSION[compression]))
        assert count == entry["records"] > 0
        for s in entry["shards"]:
            if compression == "zlib":
                assert "index" not in s  # one zlib stream: no index
            else:
                assert s["index"] == f"index/{s['file']}.index"
                assert (out / s["index"]).is_file()


# ---- The tfrecord package through our index files ------------------------------------------------

LOADER = """
import json, sys
from tfrecord.reader import tfrecord_loader
shard, index, compression, parts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = []
for part in range(parts):
    for r in tfrecord_loader(shard, index, {"id": "byte"}, shard=(part, parts),
                             compression_type=None if compression == "none" else compression):
        out.append(bytes(r["id"]).decode())
print(json.dumps(out))
"""


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_tfrecord_package_reads_every_shard_through_our_index(shardkit, tmp_path, compression):
    """The `tfrecord` package (torch is not installed here, so its `reader.tfrecord_loader` rather
    than `torch.TFRecordDataset`, which wraps it) splits each shard into 3 parts by our index lines
    and reads them; together they are the shard's records in order. For GZIP it seeks in the
    decompressed stream, which is what the index's first column gives. It runs in a child process:
    the package and TensorFlow register the same protobuf names."""
    shardkit("generate", "--output", tmp_path, "--records", 300, "--shards", 2, "--compression", compression, "--quiet")
    first = 0
    for s in manifest(tmp_path)["splits"]["train"]["shards"]:
        out = subprocess.run(
            [sys.executable, "-c", LOADER, str(tmp_path / s["file"]), str(tmp_path / s["index"]), compression, "3"],
            capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == [f"record-{i:06d}" for i in range(first, first + s["records"])]
        first += s["records"]
    assert first == 300


# ---- GZIP shards of gzip members -----------------------------------------------------------------

def members(data):
    """(file offset, decompressed bytes) of each gzip member of `data`, split by zlib itself."""
    found, position = [], 0
    while position < len(data):
        inflater = zlib.decompressobj(31)
        body = inflater.decompress(data[position:])
        assert inflater.eof, f"member at {position} is cut short"
        found.append((position, body))
        position = len(data) - len(inflater.unused_data)
    return found


def framed(data, offset):
    (length,) = struct.unpack_from("<Q", data, offset)
    return data[offset + 12:offset + 12 + length]


@pytest.fixture
def gzip_and_plain(shardkit, tmp_path):
    """The same 300 records (about 1.2 MB framed) as one GZIP shard and one plain shard."""
    for compression in ("gzip", "none"):
        shardkit("generate", "--output", tmp_path / compression, "--records", 300, "--shards", 1,
                 "--compression", compression, "--quiet")
    name = "generated-train.tfrecord-00000-of-00001"
    return tmp_path / "gzip", (tmp_path / "gzip" / name).read_bytes(), (tmp_path / "none" / name).read_bytes()


def test_python_gzip_decompresses_the_members_to_the_plain_framing(gzip_and_plain):
    import gzip

    _, gz, plain = gzip_and_plain
    parts = members(gz)
    assert len(parts) == 5  # 256 KiB blocks of about 1.2 MB of records
    assert gzip.decompress(gz) == plain
    assert b"".join(body for _, body in parts) == plain
    # Every member ends at a record boundary and starts with a record.
    position = 0
    for _, body in parts:
        assert len(body) >= 256 * 1024 or body is parts[-1][1]
        inner = 0
        while inner < len(body):
            (length,) = struct.unpack_from("<Q", body, inner)
            inner += 16 + length
        assert inner == len(body)
        position += len(body)


def test_tf_reads_the_members_in_order(gzip_and_plain):
    directory, _, plain = gzip_and_plain
    shard = str(directory / "generated-train.tfrecord-00000-of-00001")
    got = [r.numpy() for r in tf.data.TFRecordDataset(shard, compression_type="GZIP")]
    offsets, position = [], 0
    while position < len(plain):
        offsets.append(position)
        position += 16 + struct.unpack_from("<Q", plain, position)[0]
    assert got == [framed(plain, o) for o in offsets]
    assert len(got) == 300


def test_each_index_line_decodes_exactly_its_record(shardkit, gzip_and_plain):
    """Line i is `offset length member offset-in-member`, fixed width: inflating the member at
    `member` alone and taking `length` bytes at `offset-in-member` gives record i's frame, the
    same bytes as the plain shard's at `offset`. shardkit's own reader agrees (verify, get)."""
    directory, gz, plain = gzip_and_plain
    shard = manifest(directory)["splits"]["train"]["shards"][0]
    text = (directory / shard["index"]).read_text()
    lines = text.splitlines()
    assert len(lines) == 300 and len(text) == 300 * 48
    starts = {offset for offset, _ in members(gz)}
    records = [r.numpy() for r in tf.data.TFRecordDataset(str(directory / shard["file"]), compression_type="GZIP")]
    for i, line in enumerate(lines):
        assert [len(f) for f in line.split(" ")] == [12, 10, 12, 10]
        offset, length, member, inner = map(int, line.split())
        assert member in starts
        frame = zlib.decompressobj(31).decompress(gz[member:], inner + length)[inner:inner + length]
        assert frame == plain[offset:offset + length]
        assert framed(frame, 0) == records[i]
    assert shardkit("verify", directory, "--quiet").returncode == 0
    for i in (0, 150, 299):
        got = shardkit("get", directory, "--split", "train", "--index", i, "--dump", "--bytes-preview", 0).stdout
        # inspect --dump's JSON, which shows UTF-8 bytes values as text (formats/example.md).
        assert json.loads(got)["features"]["id"] == {"text": [f"record-{i:06d}"]}
