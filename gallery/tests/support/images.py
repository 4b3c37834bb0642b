"""Image bytes for tests: small real images in every format, PNG chunks, and the EXIF a phone writes."""

import io
import itertools
import struct
import zlib

import pillow_heif
from PIL import ExifTags, Image


def image_bytes(image_format="JPEG", size=(64, 48), mode="RGB", color=None):
    """A small real image in the given Pillow format, of one colour."""
    if color is None:
        color = 128 if mode in {"L", "P"} else (200, 80, 40)
    image = Image.new(mode, size, color=color)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


DISTINCT_COLOURS = itertools.count(1)


def distinct_image_bytes(image_format="JPEG"):
    """image_bytes of a size no earlier call in this process gave: uploads of it are never exact duplicates
    (a JPEG of a slightly different colour can be the same bytes)."""
    n = next(DISTINCT_COLOURS)
    return image_bytes(image_format, (48 + n % 97, 32 + n // 97 % 97))


def heic_bytes(image, **metadata):
    """`image` saved as a HEIC by pillow-heif (libheif and x265, its fastest preset), with exif= and xmp= if given."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=90, enc_params={"preset": "ultrafast"}, **metadata)
    return buffer.getvalue()


def png_chunk(kind, data):
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def photo_exif():
    """EXIF as a phone writes it: orientation, camera, time taken, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Phonemaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:07:14 18:30:05"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2)})
    return exif
