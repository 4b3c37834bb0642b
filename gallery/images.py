"""Detect and validate uploaded images from their bytes, never from the client's name or type.

Also removes the location an image's metadata records (see without_location), losslessly.
"""

import dataclasses
import mmap
import re
import struct
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import ExifTags, Image, UnidentifiedImageError

# Pillow format name -> (Content-Type stored with the object, extension of its key).
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPTED_NAMES = "JPEG, PNG, GIF or WebP"

# Decoding is what proves the data whole. A JPEG is decoded in draft mode at 1/8
# scale: every byte of it is still read, for a seventh of the time and 1/64 of the memory.
SMALLEST_DRAFT = (1, 1)

# What validating one image may cost in memory, so that a worker stays under 300 MB (it idles
# at about 80 MB and holds up to an upload's worth of other buffers). Above it an image is
# refused from its header, whatever GALLERY_MAX_PIXELS allows: a decoder that must hold every
# pixel (PNG, GIF, WebP) or every DCT coefficient (progressive or multi-scan JPEG) gets a
# lower pixel limit (decode_bytes_per_pixel), proved by the worker memory test.
DECODE_BUDGET_BYTES = 160_000_000
# Pillow's in-memory bytes per pixel, by image mode; the other modes take four.
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Measured with Pillow 13: libwebp's animation decoder (the only one Pillow uses) keeps two
# RGBA canvases, then Pillow copies the frame to bytes and again into the image.
WEBP_BYTES_PER_PIXEL = 16


@dataclass(frozen=True)
class DetectedImage:
    """An uploaded file whose bytes decoded as an accepted image, with what was learnt on the way."""

    file: File
    format: str
    width: int
    height: int

    @property
    def content_type(self):
        return ACCEPTED_FORMATS[self.format][0]

    @property
    def extension(self):
        return ACCEPTED_FORMATS[self.format][1]


def detect_image(file, max_pixels=None, keep_location=None):
    """Decode `file` and return a DetectedImage, or raise ValidationError saying what is wrong.

    The pixel count, and the memory decoding would take, are checked from the header before any
    pixel is decoded. Unless keep_location (default GALLERY_KEEP_LOCATION), the returned image's
    file is a copy without location metadata when the upload carried any (see without_location).
    """
    max_pixels = max_pixels or settings.GALLERY_MAX_PIXELS
    keep_location = settings.GALLERY_KEEP_LOCATION if keep_location is None else keep_location
    if not file.size:
        raise ValidationError("The submitted file is empty.", code="empty")
    file.seek(0)
    try:
        with Image.open(file, formats=list(ACCEPTED_FORMATS)) as image:
            width, height = image.size
            bytes_per_pixel = decode_bytes_per_pixel(image, file)
            limit = min(max_pixels, int(DECODE_BUDGET_BYTES // bytes_per_pixel)) if bytes_per_pixel else max_pixels
            if width * height > limit:
                raise too_many_pixels(limit, width, height)
            image.draft(image.mode, SMALLEST_DRAFT)
            image.load()
            # Pillow calls a JPEG with more images after its end (phones' depth and gain maps) MPO;
            # it is a JPEG, and browsers show its first image.
            image_format = "JPEG" if image.format == "MPO" else image.format
    except Image.DecompressionBombError:
        # Pillow's own guard, set to the same limit in GalleryConfig.ready(), refuses at twice it.
        raise too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        # Pillow reports truncated or corrupt data with any of these, and oversized PNG text with ValueError.
        raise invalid_image() from error
    finally:
        file.seek(0)
    detected = DetectedImage(file=file, format=image_format, width=width, height=height)
    return detected if keep_location else without_location(detected)


def invalid_image():
    """The error for bytes that are not a whole image of an accepted format."""
    return ValidationError(
        "Upload a valid image: %(accepted)s. This file is not one, or it is damaged.",
        code="invalid_image",
        params={"accepted": ACCEPTED_NAMES},
    )


def too_many_pixels(max_pixels, width=None, height=None):
    size = f"{width} x {height} pixels" if width else "too many pixels"
    return ValidationError(
        "This image has %(size)s; the limit is %(limit)s million pixels.",
        code="too_many_pixels",
        params={"size": size, "limit": f"{max_pixels / 1_000_000:.3g}"},
    )


def decode_bytes_per_pixel(image, file):
    """About how many bytes per pixel decoding this opened (not yet loaded) image will hold at once."""
    if image.format == "WEBP":
        return WEBP_BYTES_PER_PIXEL
    if image.format not in {"JPEG", "MPO"}:
        return MODE_BYTES.get(image.mode, 4)
    with _contents(file) as data:
        scans = sum(marker == 0xDA for marker, _, _ in jpeg_segments(data, whole=True))
    if scans <= 1:
        return 0  # One scan is decoded a row of blocks at a time, at 1/8 scale: next to nothing.
    # libjpeg keeps every component's DCT coefficients, two bytes each, until the last scan.
    h_max = max(h for _, h, _, _ in image.layer)
    v_max = max(v for _, _, v, _ in image.layer)
    return 2 * sum(h * v for _, h, v, _ in image.layer) / (h_max * v_max)


# --- Location metadata -------------------------------------------------------------------
#
# Hand-written on purpose: no maintained Python package edits metadata losslessly in all three
# containers (piexif is unmaintained since 2019 and JPEG-only for writing; pyexiv2 runs exiv2's
# C++ parsers, with their long CVE history, on strangers' files, and rewrites whole files in
# memory). Pillow parses and re-serialises the EXIF itself; the code below only walks the
# containers' segment lists and copies everything else byte for byte, so pixels never change.
#
# Removed: EXIF's GPS IFD; every XMP packet (exif:GPS*, photoshop:City, Iptc4xmpCore:Location
# and more can appear in any of its namespaces, and editing XML from strangers safely needs more
# than this module should hold); IPTC (its City and Sublocation fields) in JPEG's APP13; PNG's
# "Raw profile type" text (ImageMagick's copies of EXIF, IPTC and XMP); and whatever follows a
# JPEG's end (an MPO's further images carry their own EXIF). GIF has no EXIF; XMP in a GIF's
# application extension is left as it is.

GPS_IFD = ExifTags.IFD.GPSInfo
EXIF_PREFIX = b"Exif\x00\x00"
XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
COPY_BLOCK = 1024 * 1024


def without_location(image):
    """Return `image` with a file whose metadata records no location, or `image` when it has none to remove.

    The copy keeps the pixels' bytes and other EXIF (orientation, camera, time taken). A rendition step
    can call it too. Raises ValidationError if the metadata cannot be read.
    """
    rewrite = {"JPEG": _jpeg_pieces, "PNG": _png_pieces, "WEBP": _webp_pieces}.get(image.format)
    if rewrite is None:
        return image
    with _contents(image.file) as data:
        try:
            pieces = rewrite(data)
        except (struct.error, IndexError, ValueError) as error:
            raise invalid_image() from error
        if pieces is None:
            return image
        # A file like an upload's: in memory while small, on disk when large.
        copy = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 (returned)
        for piece in pieces:
            if isinstance(piece, bytes):
                copy.write(piece)
            else:
                for start in range(piece.start, piece.stop, COPY_BLOCK):
                    copy.write(data[start : min(start + COPY_BLOCK, piece.stop)])
    stripped = File(copy, name=image.file.name)
    stripped.size = copy.tell()
    stripped.seek(0)
    return dataclasses.replace(image, file=stripped)


@contextmanager
def _contents(file):
    """The file's bytes as a buffer: mapped when the file is on disk, read when it is in memory (and small)."""
    file.seek(0)
    try:
        fileno = file.fileno()
    except (AttributeError, OSError, ValueError):
        yield file.read()
        file.seek(0)
        return
    with mmap.mmap(fileno, 0, access=mmap.ACCESS_READ) as data:
        yield data


def exif_without_gps(tiff):
    """The TIFF-structured EXIF without its GPS IFD, or None when it has none; b"" when unreadable."""
    exif = Image.Exif()
    try:
        exif.load(tiff)
        if GPS_IFD not in exif:
            return None
        del exif[GPS_IFD]
        return exif.tobytes()[len(EXIF_PREFIX) :]
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, OSError):
        return b""  # Pillow cannot read it, so nothing can be kept of it safely.


# A marker in JPEG data: 0xFF then anything but stuffing (0x00), a restart marker or a fill byte.
JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_STANDALONE = {0x01, 0xD8, 0xD9}


def jpeg_segments(data, whole=False):
    """Yield (marker, start, end) for a JPEG's segments up to its first scan, or with whole=True to its end (EOI)."""
    position = 2  # after SOI
    while position < len(data):
        match = JPEG_MARKER.search(data, position)
        if match is None:
            return
        start = match.start()
        marker = data[start + 1]
        end = start + 2 if marker in JPEG_STANDALONE else start + 2 + struct.unpack_from(">H", data, start + 2)[0]
        yield marker, start, end
        if marker == 0xD9 or (marker == 0xDA and not whole):
            return
        position = end


def _jpeg_pieces(data):
    """The rewritten JPEG as bytes and slices of `data`, or None when nothing needs removing."""
    pieces, changed = [b"\xff\xd8"], False
    for marker, start, end in jpeg_segments(data):
        payload = bytes(data[start + 4 : end]) if marker != 0xDA else b""
        if marker == 0xE1 and payload.startswith(EXIF_PREFIX):
            tiff = exif_without_gps(payload[len(EXIF_PREFIX) :])
            if tiff is None:
                pieces.append(slice(start, end))
                continue
            changed = True
            if tiff and len(tiff) + len(EXIF_PREFIX) + 2 <= 0xFFFF:
                pieces.append(b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + EXIF_PREFIX + tiff)
        elif (
            (marker == 0xE1 and payload.startswith(XMP_PREFIXES))
            or marker == 0xED
            or (marker == 0xE2 and payload.startswith(b"MPF\x00"))
        ):
            changed = True  # XMP, IPTC, or an MPO's index of the images dropped below
        elif marker == 0xDA:
            scan_start = start
            break
        else:
            pieces.append(slice(start, end))
    else:
        raise ValueError("no scan in this JPEG")
    end = next((end for marker, _, end in jpeg_segments(data, whole=True) if marker == 0xD9), len(data))
    if end < len(data):
        changed = True  # data after the image's end: an MPO's other images, or anything at all
    pieces.append(slice(scan_start, end))
    return pieces if changed else None


def _png_chunks(data):
    """Yield (type, start, end) for a PNG's chunks, each from its length field to the end of its CRC."""
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        yield kind, position, end
        if kind == b"IEND":
            return
        position = end


def _png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_pieces(data):
    """The rewritten PNG as bytes and slices of `data`, or None when nothing needs removing."""
    pieces, changed = [bytes(data[:8])], False
    for kind, start, end in _png_chunks(data):
        payload = data[start + 8 : end - 4]
        if kind == b"eXIf":
            payload = bytes(payload)
            tiff = exif_without_gps(payload.removeprefix(EXIF_PREFIX))
            if tiff is None:
                pieces.append(slice(start, end))
                continue
            changed = True
            if tiff:
                pieces.append(_png_chunk(kind, tiff))
        elif kind in {b"tEXt", b"zTXt", b"iTXt"} and _png_text_is_metadata(bytes(payload[:80])):
            changed = True
        else:
            pieces.append(slice(start, end))
    return pieces if changed else None


def _png_text_is_metadata(head):
    keyword = head.partition(b"\x00")[0]
    return keyword == b"XML:com.adobe.xmp" or keyword.startswith(b"Raw profile type")


def _webp_pieces(data):
    """The rewritten WebP as bytes and slices of `data`, or None when nothing needs removing."""
    chunks, changed, flags_at = [], False, None
    position = 12
    while position + 8 <= len(data):
        kind, length = struct.unpack_from("<4sI", data, position)
        end = min(position + 8 + length + (length & 1), len(data))
        if kind == b"EXIF":
            tiff = exif_without_gps(bytes(data[position + 8 : position + 8 + length]).removeprefix(EXIF_PREFIX))
            if tiff is None:
                chunks.append(bytes(data[position:end]))
            else:
                changed = True
                if tiff:
                    chunks.append(b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1))
        elif kind == b"XMP ":
            changed = True
        else:
            if kind == b"VP8X":
                flags_at = len(chunks)
            chunks.append(slice(position, end))
        position = end
    if not changed:
        return None
    if flags_at is not None:
        # VP8X's first byte says which metadata chunks follow: 0x08 EXIF, 0x04 XMP.
        vp8x = chunks[flags_at]
        has_exif = any(isinstance(chunk, bytes) and chunk.startswith(b"EXIF") for chunk in chunks)
        flags = (data[vp8x.start + 8] & ~0x0C) | (0x08 if has_exif else 0)
        start, stop = vp8x.start, vp8x.stop
        chunks[flags_at] = b"".join((data[start : start + 8], bytes([flags]), data[start + 9 : stop]))
    size = 4 + sum(len(c) if isinstance(c, bytes) else c.stop - c.start for c in chunks)
    return [b"RIFF" + struct.pack("<I", size) + b"WEBP", *chunks]
