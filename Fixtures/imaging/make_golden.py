"""Makes the Imaging golden fixtures: deterministic inputs, TensorFlow's tf.image outputs for
each op with explicit parameters, and PNG/JPEG files with Pillow's decoded pixels.

Run with the anchors' Python (TensorFlow, numpy, Pillow):
    ~/.cache/shardkit-anchors/bin/python Fixtures/imaging/make_golden.py

Writes next to this script:
  golden.bin   concatenated raw arrays (uint8 or little-endian float32, C order)
  golden.json  {"arrays": {name: {dtype, shape, offset, count}}, "ops": [{op, input, output, params}],
                "codecs": [{file, channels, expected | error}]}
  codec/*.png, codec/*.jpg, codec/*.bin  encoded files (good and broken)
"""
import io
import json
import os
import struct
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CODEC = os.path.join(HERE, "codec")
os.makedirs(CODEC, exist_ok=True)

blob = bytearray()
arrays = {}


def put(name, a):
    a = np.ascontiguousarray(a)
    assert a.dtype in (np.uint8, np.float32), a.dtype
    data = a.astype("<f4").tobytes() if a.dtype == np.float32 else a.tobytes()
    arrays[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "offset": len(blob), "count": int(a.size)}
    blob.extend(data)
    return name


def smooth(h, w, c, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.random((1, 1, c)) * 120
    img = base + 4 * xx[..., None] + 3 * yy[..., None] + rng.normal(0, 25, (h, w, c))
    return np.clip(img, 0, 255).astype(np.uint8)


inputs = {
    "rgb13x17": smooth(13, 17, 3, 1),
    "gray9x11": smooth(9, 11, 1, 2),
    "rgb32": smooth(32, 32, 3, 3),
    "noise20x24": np.random.default_rng(4).integers(0, 256, (20, 24, 3), dtype=np.uint8),
}
for k, v in inputs.items():
    put("in/" + k, v)

ops = []


def op(kind, inp, out, **params):
    name = f"out/{len(ops):03d}_{kind}_{inp}"
    put(name, np.asarray(out))
    ops.append({"op": kind, "input": "in/" + inp, "output": name, "params": params})


for inp, (t, l, h, w) in [("rgb13x17", (2, 3, 7, 9)), ("gray9x11", (0, 0, 9, 4)), ("rgb32", (5, 1, 20, 30))]:
    op("crop", inp, tf.image.crop_to_bounding_box(inputs[inp], t, l, h, w), top=t, left=l, height=h, width=w)

resize_cases = [("rgb13x17", [(26, 34), (7, 9), (20, 11), (5, 5), (13, 17), (1, 1), (40, 3)]),
                ("gray9x11", [(17, 23), (4, 5)]),
                ("rgb32", [(45, 45), (20, 20), (11, 29)]),
                ("noise20x24", [(37, 41), (7, 13), (33, 17)])]
for inp, sizes in resize_cases:
    for (h, w) in sizes:
        out = tf.image.resize(inputs[inp], [h, w], method="bilinear", antialias=False).numpy().astype(np.float32)
        op("resize_bilinear", inp, out, height=h, width=w)
        out = tf.image.resize(inputs[inp], [h, w], method="area").numpy().astype(np.float32)
        op("resize_area", inp, out, height=h, width=w)

for inp in ["rgb13x17", "gray9x11"]:
    op("flip_left_right", inp, tf.image.flip_left_right(inputs[inp]))
    op("flip_up_down", inp, tf.image.flip_up_down(inputs[inp]))

for inp in ["rgb13x17", "rgb32", "noise20x24", "gray9x11"]:
    for d in [0.2, -0.3, 0.05, -0.01]:
        op("adjust_brightness", inp, tf.image.adjust_brightness(inputs[inp], d), delta=d)
    for f in [0.5, 1.7, 0.8, 1.2]:
        op("adjust_contrast", inp, tf.image.adjust_contrast(inputs[inp], f), factor=f)
    op("per_image_standardization", inp, tf.image.per_image_standardization(inputs[inp]).numpy().astype(np.float32))

for inp in ["rgb13x17", "rgb32", "noise20x24"]:
    op("rgb_to_grayscale", inp, tf.image.rgb_to_grayscale(inputs[inp]))
op("grayscale_to_rgb", "gray9x11", tf.image.grayscale_to_rgb(tf.constant(inputs["gray9x11"])))

# ---- codec files -------------------------------------------------------------------------
codecs = []


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png16(a):
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB)."""
    h, w, c = a.shape
    color = {1: 0, 3: 2}[c]
    raw = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw, 6)) + png_chunk(b"IEND", b""))


def save(name, data):
    with open(os.path.join(CODEC, name), "wb") as f:
        f.write(data)


def pil_bytes(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def expect(name, channels, pixels, tolerance=0):
    codecs.append({"file": "codec/" + name, "channels": channels,
                   "expected": put("codec/" + name + f"/{channels}", pixels), "tolerance": tolerance})


def expect_error(name):
    codecs.append({"file": "codec/" + name, "error": True})


rgb = smooth(24, 20, 3, 5)
gray = smooth(24, 20, 1, 6)[..., 0]
alpha = np.random.default_rng(7).integers(0, 256, (24, 20), dtype=np.uint8)

data = pil_bytes(Image.fromarray(rgb), "PNG"); save("rgb.png", data)
expect("rgb.png", 3, rgb)
data = pil_bytes(Image.fromarray(gray), "PNG"); save("gray.png", data)
expect("gray.png", 1, gray[..., None])
expect("gray.png", 3, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
pal = Image.fromarray(rgb).quantize(colors=16)
data = pil_bytes(pal, "PNG"); save("palette.png", data)
expect("palette.png", 3, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
pal.info["transparency"] = 3
data = pil_bytes(pal, "PNG", transparency=3); save("palette_trns.png", data)
expect("palette_trns.png", 3, np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))[..., :3])
data = pil_bytes(Image.fromarray(np.dstack([rgb, alpha])), "PNG"); save("rgba.png", data)
expect("rgba.png", 3, rgb)
data = pil_bytes(Image.fromarray(np.dstack([gray, alpha]), "LA"), "PNG"); save("gray_alpha.png", data)
expect("gray_alpha.png", 1, gray[..., None])
g = Image.fromarray(gray[::2, ::3])
data = pil_bytes(g.convert("1"), "PNG"); save("bilevel.png", data)
expect("bilevel.png", 1, np.asarray(Image.open(io.BytesIO(data)).convert("L"))[..., None])
wide = np.random.default_rng(8).integers(0, 65536, (10, 12, 3), dtype=np.uint16)
save("rgb16.png", png16(wide))
expect("rgb16.png", 3, (wide >> 8).astype(np.uint8))
wide1 = np.random.default_rng(9).integers(0, 65536, (10, 12, 1), dtype=np.uint16)
save("gray16.png", png16(wide1))
expect("gray16.png", 1, (wide1 >> 8).astype(np.uint8))

data = pil_bytes(Image.fromarray(rgb), "JPEG", quality=90); save("rgb.jpg", data)
expect("rgb.jpg", 3, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), tolerance=0)
data = pil_bytes(Image.fromarray(gray), "JPEG", quality=90); save("gray.jpg", data)
expect("gray.jpg", 1, np.asarray(Image.open(io.BytesIO(data)))[..., None])
save("cmyk.jpg", pil_bytes(Image.fromarray(rgb).convert("CMYK"), "JPEG"))
expect_error("cmyk.jpg")

good = pil_bytes(Image.fromarray(rgb), "PNG")
save("truncated.png", good[: len(good) // 2]); expect_error("truncated.png")
idat = good.find(b"IDAT")
idat_length = struct.unpack(">I", good[idat - 4:idat])[0]
bad = bytearray(good)
bad[idat + 4 + idat_length] ^= 0x01  # IDAT's CRC only; the data is intact
save("bad_crc.png", bytes(bad)); expect_error("bad_crc.png")
bad = bytearray(good)
bad[idat + 10] ^= 0x55  # inside IDAT's compressed data (zlib fails before the CRC is checked)
save("corrupt_idat.png", bytes(bad)); expect_error("corrupt_idat.png")
jpg = pil_bytes(Image.fromarray(rgb), "JPEG", quality=90)
save("truncated.jpg", jpg[: len(jpg) * 2 // 3]); expect_error("truncated.jpg")
save("garbage.bin", np.random.default_rng(10).integers(0, 256, 500, dtype=np.uint8).tobytes())
expect_error("garbage.bin")
save("empty.bin", b""); expect_error("empty.bin")

with open(os.path.join(HERE, "golden.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(HERE, "golden.json"), "w") as f:
    json.dump({"tensorflow": tf.__version__, "arrays": arrays, "ops": ops, "codecs": codecs}, f, indent=1)
print(f"{len(ops)} ops, {len(codecs)} codec cases, {len(blob)} bytes")
