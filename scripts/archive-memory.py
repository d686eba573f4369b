#!/usr/bin/env python3
"""Peak memory of `shardkit convert cifar10` reading `cifar-10-binary.tar.gz` as the archive
grows: writes a synthetic CIFAR-10 tarball of each size into a scratch folder (the layout the
authors ship: `cifar-10-batches-bin/` with five data batches, a test batch and
`batches.meta.txt`, test batch first so the conversion reads the archive more than once),
converts it with the release binary under /usr/bin/time -v, then converts the extracted folder
the same way, prints time and peak RSS of both, and deletes everything again. Nothing is written
to the repository.

    swift build -c release
    python3 scripts/archive-memory.py [--binary .build/release/shardkit] [--per-batch 2000 10000 40000]

`--per-batch N` gives 6N records (5N train, N test); 10000 is CIFAR-10's real size. The records
cycle through 256 distinct images, so the tarball is small on disk; the reader inflates every
byte all the same. Only the standard library is used.
"""
import argparse
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

NAMES = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"


def records(count, salt):
    """`count` CIFAR-10 records (label byte + 3072 planar pixels) from 256 patterns."""
    block = b"".join(bytes([(i + salt) % 10]) + bytes((i * 37 + p * 11 + salt) % 256 for p in range(3072))
                     for i in range(256))
    full, rest = divmod(count, 256)
    return block * full + block[: rest * 3073]


def write_tarball(path, per_batch):
    folder = "cifar-10-batches-bin/"
    members = [("batches.meta.txt", NAMES), ("test_batch.bin", records(per_batch, 99))]
    members += [("data_batch_%d.bin" % b, records(per_batch, b)) for b in range(1, 6)]
    with gzip.open(path, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w|") as tar:
        for name, data in members:
            info = tarfile.TarInfo(folder + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def measure(binary, source, out, jobs):
    started = time.time()
    proc = subprocess.run(["/usr/bin/time", "-v", binary, "convert", "cifar10", "--input", source, "--output", out,
                           "--quiet", "--jobs", str(jobs), "--shards", "4"], capture_output=True, text=True)
    seconds = time.time() - started
    if proc.returncode != 0:
        sys.exit(f"convert failed ({proc.returncode}):\n{proc.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    shutil.rmtree(out)
    return seconds, rss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/shardkit")
    parser.add_argument("--per-batch", type=int, nargs="+", default=[2000, 10000, 40000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="archive-memory-")
    try:
        for per_batch in args.per_batch:
            tarball = os.path.join(scratch, "cifar-10-binary.tar.gz")
            write_tarball(tarball, per_batch)
            size = os.path.getsize(tarball)
            seconds, rss = measure(args.binary, tarball, os.path.join(scratch, "out"), args.jobs)
            extracted = os.path.join(scratch, "extracted")
            with tarfile.open(tarball) as tar:
                tar.extractall(extracted)
            folder_seconds, folder_rss = measure(args.binary, os.path.join(extracted, "cifar-10-batches-bin"),
                                                 os.path.join(scratch, "out"), args.jobs)
            total = 6 * per_batch
            print(f"records={total} tar.gz={size / 1e6:.1f} MB ({total * 3073 / 1e6:.0f} MB inflated)  "
                  f"archive: {seconds:.1f} s, peak RSS {rss:.1f} MiB  "
                  f"extracted folder: {folder_seconds:.1f} s, peak RSS {folder_rss:.1f} MiB", flush=True)
            os.remove(tarball)
            shutil.rmtree(extracted)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
