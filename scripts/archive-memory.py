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
import gzip
import io
import os
import shutil
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak_memory import arguments, measured, scratch  # noqa: E402

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
    """One conversion of `source` into `out` (removed afterwards): (seconds, peak RSS in MiB)."""
    result = measured([binary, "convert", "cifar10", "--input", source, "--output", out, "--quiet",
                       "--jobs", str(jobs), "--shards", "4"])
    shutil.rmtree(out)
    return result


def main():
    args = arguments("--per-batch", [2000, 10000, 40000], "records per batch file (6 files)")
    with scratch("archive-memory-") as folder:
        for per_batch in args.per_batch:
            tarball = os.path.join(folder, "cifar-10-binary.tar.gz")
            write_tarball(tarball, per_batch)
            size = os.path.getsize(tarball)
            seconds, rss = measure(args.binary, tarball, os.path.join(folder, "out"), args.jobs)
            extracted = os.path.join(folder, "extracted")
            with tarfile.open(tarball) as tar:
                tar.extractall(extracted)
            folder_seconds, folder_rss = measure(args.binary, os.path.join(extracted, "cifar-10-batches-bin"),
                                                 os.path.join(folder, "out"), args.jobs)
            total = 6 * per_batch
            print(f"records={total} tar.gz={size / 1e6:.1f} MB ({total * 3073 / 1e6:.0f} MB inflated)  "
                  f"archive: {seconds:.1f} s, peak RSS {rss:.1f} MiB  "
                  f"extracted folder: {folder_seconds:.1f} s, peak RSS {folder_rss:.1f} MiB", flush=True)
            os.remove(tarball)
            shutil.rmtree(extracted)


if __name__ == "__main__":
    main()
