"""The hostile corpus: files an attacker would send, made here rather than committed, with what each upload gets.

Malformed metadata containers of every format come from gallery.tests.support.malformed.
"""

import io
import os
import struct
import zlib

from PIL import Image

from gallery.images import DECODE_BUDGET_BYTES, WEBP_BYTES_PER_PIXEL
from gallery.tests.support.images import image_bytes, photo_exif, png_chunk
from gallery.tests.support.malformed import MALFORMED_METADATA

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def saved(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(mode="RGB", size=(320, 240)):
    """A photo-like image whose every byte matters, so that truncating it cuts into the pixels."""
    return Image.effect_noise(size, 60).convert(mode)


def gif_with_frames(count):
    """An animated 1 x 1 GIF of `count` frames, written by hand in 20 bytes a frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # A graphic control extension (10 ms), an image descriptor and its LZW data: clear, pixel 0, end.
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    )
    return screen + loop + frame * count + b"\x3b"


def truncated(content):
    return content[: len(content) // 2]


def png_rows(width, height, color_type, channels):
    """A well-formed PNG of black pixels, compressed row by row without building the image in memory."""
    compressor, row = zlib.compressobj(9), b"\0" * (1 + width * channels)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def noise_png(max_bytes, width=2048):
    """An RGB PNG of random pixels (so it does not compress) a little under max_bytes long."""
    rows = (max_bytes - 200_000) // (1 + 3 * width)
    compressor = zlib.compressobj(1)
    data = b"".join(compressor.compress(b"\0" + os.urandom(3 * width)) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def sized(pixels, ratio=4 / 3):
    """The largest width x height of about this ratio within `pixels`."""
    width = int((pixels * ratio) ** 0.5)
    return width, pixels // width


WEBP_PIXEL_LIMIT = DECODE_BUDGET_BYTES // WEBP_BYTES_PER_PIXEL
# name: (a function making the content, the status it gets, the stored Content-Type when accepted)
CORPUS = {
    "jpeg-html-polyglot": (lambda: jpeg_html_polyglot(), 201, "image/jpeg"),
    "gif-with-script": (lambda: image_bytes("GIF") + b"<script>alert(1)</script>", 201, "image/gif"),
    "png-1mb-text": (lambda: png_with_chunk(b"tEXt", b"Comment\0" + b"x" * 1_000_000), 201, "image/png"),
    "png-5mb-text": (lambda: png_with_chunk(b"tEXt", b"Comment\0" + b"x" * 5_000_000), 400, None),
    "png-ztxt-bomb": (lambda: png_with_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 50_000_000)), 400, None),
    "png-iccp-bomb": (lambda: png_with_chunk(b"iCCP", b"icc\0\0" + zlib.compress(b"\0" * 50_000_000)), 400, None),
    "gif-10000-frames": (lambda: gif_with_frames(10_000), 201, "image/gif"),
    "cmyk-jpeg": (lambda: saved(Image.new("CMYK", (64, 48), (0, 60, 120, 10)), "JPEG"), 201, "image/jpeg"),
    "16-bit-png": (lambda: saved(Image.new("I;16", (64, 48), 40_000), "PNG"), 201, "image/png"),
    "palette-png-transparency": (lambda: saved(Image.new("P", (64, 48), 1), "PNG", transparency=1), 201, "image/png"),
    "truncated-jpeg": (lambda: truncated(saved(noise(), "JPEG")), 400, None),
    "truncated-png": (lambda: truncated(saved(noise(), "PNG")), 400, None),
    "truncated-gif": (lambda: truncated(saved(noise("L"), "GIF")), 400, None),
    "truncated-webp": (lambda: truncated(saved(noise(), "WEBP")), 400, None),
    "exif-orientation-gps": (lambda: saved(noise(), "JPEG", exif=photo_exif()), 201, "image/jpeg"),
    "webp-over-its-memory-limit": (
        lambda: saved(Image.new("RGB", sized(WEBP_PIXEL_LIMIT + 10_000)), "WEBP"),
        400,
        None,
    ),
    **MALFORMED_METADATA,
}


def jpeg_html_polyglot():
    """A JPEG whose first bytes after SOI are an HTML page (in a comment segment), with HTML after its end too."""
    jpeg = image_bytes()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML + jpeg[2:] + HTML


def png_with_chunk(kind, data):
    """A small PNG with one more chunk right after IHDR (8 bytes of signature, 25 of IHDR)."""
    png = image_bytes("PNG")
    return png[:33] + png_chunk(kind, data) + png[33:]
