#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz harness from the repository's fixtures (run by
`scripts/fuzz.sh --seed`, which then minimizes them with libFuzzer's -merge=1 into Fuzz/corpus/).

Usage: seeds.py REPO_ROOT DATASETS_DIR OUT_DIR
  DATASETS_DIR holds datasets that `shardkit convert` wrote from the fixtures (for the manifest,
  dataset_info and TFRecord seeds); OUT_DIR/<harness>/ receives the seeds. Standard library only.
"""
import bz2
import gzip
import io
import json
import lzma
import pathlib
import re
import struct
import sys
import tarfile
import zipfile
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

# ---- SVHN cropped digits (MAT v5): the fixtures, the well-formed ones cut to a few images (X's
# last dimension, its pixels, y's values), whatever their byte order or compression; the broken
# ones whose fault survives the cut are cut too, the others kept as they are.
def mat_cut(data, keep, keep_labels=None):
    """`data` (a MAT v5 file) with X cut to its first `keep` images and y to its first
    `keep_labels` (default `keep`) labels."""
    o = ">" if data[126:128] == b"MI" else "<"
    out, at = bytearray(data[:128]), 128
    while at + 8 <= len(data):
        kind, size = struct.unpack_from(o + "II", data, at)
        body = data[at + 8 : at + 8 + size]
        at += 8 + size
        element = zlib.decompress(body) if kind == 15 else struct.pack(o + "II", kind, size) + body
        element = mat_cut_array(o, element, keep, keep if keep_labels is None else keep_labels)
        if kind == 15:
            z = zlib.compress(element, 9)
            out += struct.pack(o + "II", 15, len(z)) + z
        else:
            out += element
    return bytes(out)


def mat_cut_array(o, element, keep, keep_labels):
    """One miMATRIX element with X's 4th dimension cut to `keep` or y's count to `keep_labels`
    (the sub-elements' tags are read as the reader reads them: normal or small format)."""
    parts, at = [], 8
    while at + 8 <= len(element):
        (first,) = struct.unpack_from(o + "I", element, at)
        if first >> 16:  # small format: the whole element is 8 bytes
            parts.append([first & 0xFFFF, element[at + 4 : at + 4 + (first >> 16)], True])
            at += 8
        else:
            kind, n = struct.unpack_from(o + "II", element, at)
            parts.append([kind, element[at + 8 : at + 8 + n], False])
            at += 8 + n + (-n % 8)
    if len(parts) < 4:
        return element
    dims = list(struct.unpack(o + "%di" % (len(parts[1][1]) // 4), parts[1][1]))
    name, width = parts[2][1], {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8}.get(parts[3][0], 1)
    if name == b"X" and len(dims) == 4 and dims[3] > keep:
        dims[3] = keep
        parts[3][1] = parts[3][1][: keep * 3072]
    elif name == b"y" and len(dims) == 2 and dims[0] > keep_labels:
        dims[0] = keep_labels
        parts[3][1] = parts[3][1][: keep_labels * width]
    else:
        return element
    parts[1][1] = struct.pack(o + "%di" % len(dims), *dims)
    body = b""
    for kind, data, small in parts:
        if small and 0 < len(data) <= 4:
            body += struct.pack(o + "I", len(data) << 16 | kind) + data + b"\0" * (4 - len(data))
        else:
            body += struct.pack(o + "II", kind, len(data)) + data + b"\0" * (-len(data) % 8)
    return struct.pack(o + "II", 14, len(body)) + body


for path in sorted((fixtures / "svhn-cropped").glob("*.mat")):
    seed("fuzz-svhn-cropped", path.name, mat_cut(path.read_bytes(), 2))
# Cut so that the fault stays: y one label short of X, the label out of range at record 5 kept;
# a cut or damaged zlib stream cannot be inflated to be cut, and stays whole like a cut file.
for path in sorted((fixtures / "broken/svhn-cropped").glob("*.mat")):
    cut = {"bad-header.mat": (2,), "wrong-dims.mat": (2,), "missing-y.mat": (2,), "count-mismatch.mat": (2, 1),
           "y-out-of-range.mat": (6,)}.get(path.name)
    seed("fuzz-svhn-cropped", "broken-" + path.name, mat_cut(path.read_bytes(), *cut) if cut else path.read_bytes())


# ---- Image folders: [folder paths length, UInt16 LE][folder paths, 0-separated][image], as the
# harness unpacks it. Each fixture image with the layout of its folder (split and class folders,
# a Chinese class name); a few layouts the listing refuses or reads differently.
def folder_seed(name, folders, image):
    layout = b"\0".join(f.encode() if isinstance(f, str) else f for f in folders)
    seed("fuzz-folder", name, struct.pack("<H", len(layout)) + layout + image)


for base, layout in [
    ("folder", ["train/circle", "train/square", "train/三角", "test/circle"]),
    ("broken/folder", ["a", "b"]),
]:
    for path in sorted((fixtures / base).rglob("*")):
        if path.suffix in (".png", ".jpg"):
            here = str(path.parent.relative_to(fixtures / base))
            folder_seed((base + "-" + str(path.relative_to(fixtures / base))).replace("/", "-"),
                        [here] + [f for f in layout if f != here], path.read_bytes())
small_png = read("imaging/codec/gray.png")
for name, folders in [
    ("val-and-validation", ["val/a", "validation/a"]),
    ("split-beside-class", ["train/a", "b"]),
    ("newline-class", ["a\nb"]),
    ("not-utf8-class", [b"\xff\xfe"]),
    ("hidden-class", [".a", "b"]),
    ("nested", ["a/b/c", "d"]),
    ("split-only", ["train"]),
]:
    folder_seed("layout-" + name, folders, small_png)


# ---- Archives: every fixture archive (tar.gz, zip, the ALZip stand-ins, the broken ones), and
# small ones in the other forms libarchive is asked to read: plain, bzip2 and xz tar, pax and GNU
# long names, links and folders, zip entries stored, deflated and streamed (sizes after the data).
for path in sorted((fixtures / "archives").rglob("*")):
    if path.is_file():
        seed("fuzz-archive", str(path.relative_to(fixtures / "archives")).replace("/", "-"), path.read_bytes())


def tar_of(fmt=tarfile.USTAR_FORMAT, compression=""):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:" + compression, format=fmt) as tar:
        def add(name, data=None, kind=tarfile.REGTYPE, target=""):
            info = tarfile.TarInfo(name)
            info.mtime, info.type, info.linkname = 0, kind, target
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        add("./d/", kind=tarfile.DIRTYPE)
        add("./d/batches.meta.txt", b"airplane\nautomobile\n")
        add("./d/link", kind=tarfile.SYMTYPE, target="batches.meta.txt")
        add("./d/hard", kind=tarfile.LNKTYPE, target="./d/batches.meta.txt")
        # ustar holds names of up to 255 bytes in two fields; pax and GNU tar in extra headers.
        add("d/" + "long-name-" * (6 if fmt == tarfile.USTAR_FORMAT else 30) + ".bin", bytes(range(200)))
        add("d/empty", b"")
    return buffer.getvalue()


def tar_end(data):
    """A plain tar without tarfile's padding to 10 KiB: the members, then the two zero blocks."""
    members = data.rstrip(b"\0")
    return members + b"\0" * (-len(members) % 512 + 1024)


seed("fuzz-archive", "ustar.tar", tar_end(tar_of()))
seed("fuzz-archive", "pax.tar.bz2", tar_of(tarfile.PAX_FORMAT, "bz2"))
seed("fuzz-archive", "gnu.tar.xz", tar_of(tarfile.GNU_FORMAT, "xz"))
seed("fuzz-archive", "empty.tar", b"\0" * 1024)
seed("fuzz-archive", "not-a-tar.gz", gzip.compress(b"just one compressed file\n", mtime=0))


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek in, so it writes each entry's sizes after its data."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def zip_of(stream=False):
    buffer = Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in [
            ("gnt/", b"", zipfile.ZIP_STORED),
            ("gnt/1001-c.gnt", read("hwdb/train/1001-c.gnt")[:600], zipfile.ZIP_DEFLATED),
            ("gnt/notes.txt", b"stored as it is\n", zipfile.ZIP_STORED),
        ]:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return bytes(buffer.data) if stream else buffer.getvalue()


seed("fuzz-archive", "entries.zip", zip_of())
seed("fuzz-archive", "streamed.zip", zip_of(stream=True))
seed("fuzz-archive", "empty.zip", b"PK\x05\x06" + b"\0" * 18)

print(f"seeds.py: {count} seeds in {out}")
