"""Walking the containers of the accepted formats: JPEG segments, PNG chunks, GIF blocks and RIFF chunks (WebP);
gallery.images.isobmff walks HEIC's and AVIF's boxes.

Shared by the limits (how much metadata an image carries, how many scans a JPEG has) and the location stripping
(which blocks to rewrite). The bytes are a stranger's: every length, count and offset is checked against the data
before it is used, and one that contradicts it raises MalformedContainer.
Hand-written: no maintained Python package walks all of them without decoding or rewriting the whole file.
"""

import mmap
import re
import struct
from contextlib import contextmanager


class MalformedContainer(ValueError):
    """A container whose lengths, counts or offsets contradict its data: the upload is refused."""


@contextmanager
def file_contents(file):
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


def image_container(data):
    """The container format these bytes start with, by the signatures Pillow and libheif go by; None for others."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        return "ISOBMFF"
    return None


# What EXIF starts with in a JPEG's APP1 segment, and often in the other containers too.
EXIF_PREFIX = b"Exif\x00\x00"
# A marker in JPEG data: 0xFF then anything but stuffing (0x00), a restart marker or a fill byte.
JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_STANDALONE = {0x01, 0xD8, 0xD9}
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9


def jpeg_segments(data, whole=False):
    """Yield (marker, start, end) for a JPEG's segments up to its first scan, or with whole=True to its end (EOI).

    Like Pillow and libjpeg, bytes between segments that are no marker are skipped.
    """
    position = 2  # after SOI
    while position < len(data):
        match = JPEG_MARKER.search(data, position)
        if match is None:
            return
        start = match.start()
        marker = data[start + 1]
        end = start + 2
        if marker not in JPEG_STANDALONE:
            if start + 4 > len(data):
                raise MalformedContainer("JPEG segment cut off")
            length = struct.unpack_from(">H", data, start + 2)[0]
            end += length
            if length < 2 or end > len(data):
                raise MalformedContainer(f"JPEG segment 0x{marker:02X} of {length} bytes does not fit")
        yield marker, start, end
        if marker == JPEG_EOI or (marker == JPEG_SOS and not whole):
            return
        position = end


PNG_SIGNATURE_LENGTH = 8


def png_chunks(data):
    """Yield (type, start, end) for a PNG's chunks, each from its length field to the end of its CRC, up to IEND."""
    position = PNG_SIGNATURE_LENGTH
    while position < len(data):
        if position + 12 > len(data):
            raise MalformedContainer("PNG chunk cut off")
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise MalformedContainer(f"PNG chunk {kind!r} of {length} bytes does not fit")
        yield kind, position, end
        if kind == b"IEND":
            return
        position = end


def gif_extension_blocks(data):
    """Yield (label, start, end) for each data sub-block of the extensions before a GIF's first image.

    The header, screen descriptor and colour table are skipped; like Pillow, so is any byte that starts no block.
    """
    if len(data) < 13:
        raise MalformedContainer("GIF header cut off")
    position = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while position < len(data):
        introducer = data[position]
        if introducer in b",;":  # the first image, or the trailer
            return
        if introducer != 0x21:
            position += 1
            continue
        if position + 2 > len(data):
            raise MalformedContainer("GIF extension cut off")
        label, position = data[position + 1], position + 2
        while True:
            if position >= len(data):
                raise MalformedContainer("GIF extension cut off")
            length, start = data[position], position + 1
            position = start + length
            if length == 0:
                break
            if position > len(data):
                raise MalformedContainer("GIF sub-block cut off")
            yield label, start, position


RIFF_HEADER_LENGTH = 12


def riff_end(data):
    """Where a RIFF file's data ends, by its header: what follows is no part of the image."""
    if len(data) < RIFF_HEADER_LENGTH:
        raise MalformedContainer("RIFF header cut off")
    end = 8 + struct.unpack_from("<I", data, 4)[0]
    if not RIFF_HEADER_LENGTH <= end <= len(data):
        raise MalformedContainer(f"RIFF size of {end} bytes for a file of {len(data)}")
    return end


def riff_chunks(data):
    """Yield (type, start, payload length, end) for the chunks of a RIFF file (WebP), each from its type field."""
    position, stop = RIFF_HEADER_LENGTH, riff_end(data)
    while position < stop:
        if position + 8 > stop:
            raise MalformedContainer("RIFF chunk cut off")
        kind, length = struct.unpack_from("<4sI", data, position)
        if position + 8 + length > stop:
            raise MalformedContainer(f"RIFF chunk {kind!r} of {length} bytes does not fit")
        end = min(position + 8 + length + (length & 1), stop)  # the last chunk's padding byte may be missing
        yield kind, position, length, end
        position = end
