#!/usr/bin/env python3
"""Peak memory of `shardkit convert svhn-cropped` as the image count grows: writes synthetic
SVHN format 2 files (X and y in miCOMPRESSED elements, as the real ones) of each size into a
scratch folder, converts each with the release binary under /usr/bin/time -v, prints time and
peak RSS per size, and deletes everything again. It uses the MAT v5 writers of Fixtures/generate.py; nothing is written to the repository.

    swift build -c release
    ~/.cache/shardkit-venv/bin/python scripts/svhn-cropped-memory.py [--binary .build/release/shardkit] [--counts 10000 100000 531131]

The images cycle through 256 distinct 32×32×3 patterns, so the files compress as real photos
roughly do and the disk holds them; the reader inflates every byte all the same.
"""
import os
import shutil
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak_memory import arguments, measured, scratch  # noqa: E402
# The fixture generator's MAT v5 writers (the module's own imports need its venv's numpy too).
from generate import MI_COMPRESSED, MI_DOUBLE, MI_UINT8, MX_DOUBLE, MX_UINT8, column_major, cropped_image, \
    mat_array, mat_header  # noqa: E402


def write_streamed_matrix(f, name, cls, dims, dtype, chunks, data_size):
    """A miCOMPRESSED element whose miMATRIX holds `data_size` bytes from `chunks`, deflated as
    it goes; the element's byte count is patched in afterwards."""
    head = mat_array("<", name, cls, dims, dtype, b"")  # flags, dims, name and an empty data tag
    head = head[:-8] + struct.pack("<II", dtype, data_size)  # the real data tag
    pad = (8 - data_size % 8) % 8
    head = struct.pack("<II", 14, len(head) - 8 + data_size + pad) + head[8:]
    start = f.tell()
    f.write(struct.pack("<II", MI_COMPRESSED, 0))
    z = zlib.compressobj(6)
    f.write(z.compress(head))
    for chunk in chunks:
        f.write(z.compress(chunk))
    f.write(z.compress(b"\0" * pad))
    f.write(z.flush())
    end = f.tell()
    f.seek(start + 4)
    f.write(struct.pack("<I", end - start - 8))
    f.seek(end)


def write_file(path, count):
    patterns = [column_major([cropped_image(i, 9)]) for i in range(256)]
    block = b"".join(patterns)  # 256 images
    labels = bytes((i * 7) % 10 + 1 for i in range(256))
    with open(path, "wb") as f:
        f.write(mat_header("<"))
        full, rest = divmod(count, 256)
        write_streamed_matrix(f, "X", MX_UINT8, [32, 32, 3, count], MI_UINT8,
                              [block] * full + [block[: rest * 3072]], count * 3072)
        write_streamed_matrix(f, "y", MX_DOUBLE, [count, 1], MI_UINT8,
                              [labels] * full + [labels[:rest]], count)


def main():
    args = arguments("--counts", [10000, 100000, 531131], "images per file")
    with scratch("svhn-cropped-memory-") as folder:
        for count in args.counts:
            source = os.path.join(folder, "extra_32x32.mat")
            write_file(source, count)
            size = os.path.getsize(source)
            out = os.path.join(folder, "out")
            seconds, rss = measured([args.binary, "convert", "svhn-cropped", "--input", source, "--output", out,
                                     "--quiet", "--jobs", str(args.jobs)])
            print(f"images={count} input={size / 1e6:.1f} MB  time={seconds:.1f} s  "
                  f"({count / seconds:.0f} images/s)  peak RSS={rss:.1f} MiB", flush=True)
            os.remove(source)
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
