#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz harness from the repository's fixtures (run by
`scripts/fuzz.sh --seed`, which then minimizes them with libFuzzer's -merge=1 into Fuzz/corpus/).

Usage: seeds.py REPO_ROOT DATASETS_DIR OUT_DIR
  DATASETS_DIR holds datasets that `shardkit convert` wrote from the fixtures (for the manifest,
  dataset_info and TFRecord seeds); OUT_DIR/<harness>/ receives the seeds. Standard library only.
"""
import gzip
import json
import pathlib
import re
import struct
import sys
import zlib

root, datasets, out = (pathlib.Path(a) for a in sys.argv[1:4])
fixtures = root / "Fixtures"
count = 0


def seed(harness, name, data):
    global count
    folder = out / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    count += 1


def read(relative):
    return (fixtures / relative).read_bytes()


def tfrecord_payloads(data):
    """The payloads of a plain TFRecord file (the framing only; the CRCs are not checked here)."""
    payloads, at = [], 0
    while at + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        payloads.append(data[at + 12 : at + 12 + length])
        at += 16 + length
    return payloads


# ---- TFRecord: TensorFlow's own files (plain, GZIP, ZLIB, empty) and shards shardkit wrote.
for path in sorted((fixtures / "tfrecord").glob("tf-*")):
    seed("fuzz-tfrecord", path.name, path.read_bytes())
shards = [p for p in sorted(datasets.glob("*/*.tfrecord-00000-of-*")) if not p.name.endswith(".index")]
shards = [p for p in shards if p.stat().st_size > 0]
for path in shards:
    # One record is enough to seed the framing; whole shards would only weigh on the corpus.
    first = path.read_bytes()
    (length,) = struct.unpack_from("<Q", first, 0)
    record = first[: 16 + length]
    stem = path.name.split(".")[0]
    seed("fuzz-tfrecord", stem + "-first-record", record)
    seed("fuzz-tfrecord", stem + "-first-record.gz", gzip.compress(record, mtime=0))
    seed("fuzz-tfrecord", stem + "-first-record.zlib", zlib.compress(record))

# ---- Example and SequenceExample: TensorFlow's golden vectors and the records of the fixtures.
golden = (root / "Tests/ExamplesTests/GoldenVectorTests.swift").read_text()
for name, body in re.findall(r'static let (\w+) = hex\(\s*((?:"[0-9a-f]*"\s*\+?\s*)+)\)', golden):
    seed("fuzz-example", "golden-" + name, bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', body))))
for i, payload in enumerate(tfrecord_payloads(read("tfrecord/tf-golden.tfrecord"))[:4]):
    seed("fuzz-example", f"tf-golden-{i}", payload)
for path in shards:
    seed("fuzz-example", path.parent.name + "-" + path.name.split(".")[0] + "-record-0", tfrecord_payloads(path.read_bytes())[0])

# ---- idx: [label file length, UInt16 LE][label file][image file], as the harness unpacks it.
# The plain files are cut to two samples (the header's count rewritten), and the broken ones
# remade at that size with the same fault, so the corpus stays small.
def idx_pair(name, labels, images):
    seed("fuzz-idx", name, struct.pack("<H", len(labels)) + labels + images)


def idx_with_count(data, count, header_size, record_size):
    return data[:4] + struct.pack(">I", count) + data[8:header_size] + data[header_size : header_size + count * record_size]


labels2 = idx_with_count(read("mnist/train-labels-idx1-ubyte"), 2, 8, 1)
images2 = idx_with_count(read("mnist/train-images-idx3-ubyte"), 2, 16, 784)
idx_pair("train-2", labels2, images2)
idx_pair("train-2-truncated", labels2, images2[: 16 + 784 + 300])
idx_pair("train-2-short-payload", labels2, images2[: 16 + 784])
idx_pair("train-2-trailing", labels2 + b"\0", images2 + b"\0" * 5)
idx_pair("train-2-header-cut", labels2, images2[:10])
idx_pair("train-2-label-count-3", idx_with_count(read("mnist/train-labels-idx1-ubyte"), 3, 8, 1), images2)
for fault, at, value in [("bad-magic", 0, 1), ("bad-type", 2, 0x0D), ("bad-dims", 3, 2)]:
    broken = bytearray(images2)
    broken[at] = value
    idx_pair("train-2-" + fault, labels2, bytes(broken))
idx_pair("t10k-gz", read("mnist/t10k-labels-idx1-ubyte.gz"), read("mnist/t10k-images-idx3-ubyte.gz"))
idx_pair("t10k-gz-labels", read("mnist/t10k-labels-idx1-ubyte.gz"), idx_with_count(
    read("mnist/t10k-images-idx3-ubyte"), 10, 16, 784))
idx_pair("t10k-gz-cut", read("mnist/t10k-labels-idx1-ubyte.gz"), read("broken/mnist/cut-images-idx3-ubyte.gz"))
idx_pair("train-gz-bad-crc", read("mnist/train-labels-idx1-ubyte.gz"), read("broken/mnist/bad-crc-images-idx3-ubyte.gz"))

# ---- CIFAR: the first records of each batch (a whole batch adds nothing but bytes), and the
# broken files cut after their bad record.
for relative, records, size in [
    ("cifar10/data_batch_1.bin", 2, 3073),
    ("cifar100/train.bin", 2, 3074),
    ("broken/cifar10/bad-label.bin", 4, 3073),
    ("broken/cifar100/bad-coarse.bin", 3, 3074),
]:
    seed("fuzz-cifar", relative.replace("/", "-"), read(relative)[: records * size])
seed("fuzz-cifar", "cifar10-short", read("cifar10/data_batch_1.bin")[: 3073 - 1])
seed("fuzz-cifar", "cifar10-gz", gzip.compress(read("cifar10/test_batch.bin")[: 3073], mtime=0))

# ---- .gnt: the writers' files and the broken ones.
for path in sorted((fixtures / "hwdb").rglob("*.gnt")) + sorted((fixtures / "broken/hwdb").glob("*.gnt")):
    seed("fuzz-gnt", path.parent.name + "-" + path.name, path.read_bytes())

# ---- digitStruct.mat: inline and referenced boxes, and the broken ones.
for path in sorted((fixtures / "svhn").rglob("digitStruct.mat")) + sorted(
    (fixtures / "broken/svhn").rglob("digitStruct.mat")
):
    seed("fuzz-digitstruct", path.parent.name + "-digitStruct.mat", path.read_bytes())

# ---- PNG and JPEG: the codec fixtures (every colour type and depth, broken ones) and SVHN's PNGs.
for path in sorted((fixtures / "imaging/codec").iterdir()):
    if path.suffix == ".png":
        seed("fuzz-png", path.name, path.read_bytes())
    elif path.suffix == ".jpg":
        seed("fuzz-jpeg", path.name, path.read_bytes())
for path in sorted((fixtures / "svhn/train").glob("*.png")):
    seed("fuzz-png", "svhn-" + path.name, path.read_bytes())


# ---- safetensors: checkpoints laid out as Checkpoint.encoded() writes them.
def safetensors(tensors, metadata):
    header, data = {"__metadata__": metadata}, b""
    for name in sorted(tensors):
        shape, values = tensors[name]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * len(values)]}
        data += struct.pack(f"<{len(values)}f", *values)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


seed("fuzz-safetensors", "model", safetensors(
    {"dense/kernel": ([2, 3], [0.5, -1.0, 2.0, 0.0, 1e-3, -7.25]), "dense/bias": ([3], [0.0, 0.1, -0.1]),
     "scalar": ([], [3.0]), "empty": ([0, 4], [])},
    {"model": "mlp", "step": "12", "optimizer": "adam", "input_shape": "28,28,1"}))
seed("fuzz-safetensors", "empty", safetensors({}, {}))

# ---- manifest.json and dataset_info.json as shardkit writes them.
for path in sorted(datasets.glob("*/manifest.json")):
    seed("fuzz-manifest", path.parent.name + "-manifest.json", path.read_bytes())
for path in sorted(datasets.glob("*/dataset_info.json")):
    seed("fuzz-dataset-info", path.parent.name + "-dataset_info.json", path.read_bytes())

# ---- Augmentation specs: every step, sizes N and HxW, and the empty spec.
for i, text in enumerate([
    "crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2",
    "center=28x24,area=14,gray,flip=lrud",
    "flip=ud,resize=32x48,contrast=0:0",
    "none",
    "",
]):
    seed("fuzz-augment-spec", f"spec-{i}", text.encode())

print(f"seeds.py: {count} seeds in {out}")
