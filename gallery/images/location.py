"""Removing where a photo was taken from its metadata, losslessly: the pixels' bytes are copied as they are.

Hand-written on purpose: no maintained Python package edits metadata losslessly in all these
containers (piexif is unmaintained since 2019 and JPEG-only for writing; pyexiv2 runs exiv2's
C++ parsers, with their long CVE history, on strangers' files, and rewrites whole files in
memory). Pillow parses and re-serialises the EXIF itself; the code below only walks the
containers' segment lists (gallery.images.containers) and copies everything else byte for byte.

Removed: EXIF's GPS IFD; every XMP packet (exif:GPS*, photoshop:City, Iptc4xmpCore:Location
and more can appear in any of its namespaces, and editing XML from strangers safely needs more
than this module should hold); IPTC (its City and Sublocation fields) in JPEG's APP13; PNG's
"Raw profile type" text (ImageMagick's copies of EXIF, IPTC and XMP); and whatever follows a
JPEG's end (an MPO's further images carry their own EXIF). GIF has no EXIF; XMP in a GIF's
application extension is left as it is. HEIC and AVIF keep EXIF and XMP as items of their
container: those are rewritten in place, at the same length, so no offset in the file changes.
"""

import dataclasses
import struct
import tempfile
import zlib

from django.conf import settings
from django.core.files import File
from PIL import ExifTags, Image

from gallery.images.containers import (
    JPEG_EOI,
    JPEG_SOS,
    file_contents,
    heif_item_extents,
    heif_meta_box,
    heif_metadata_items,
    jpeg_segments,
    png_chunks,
    riff_chunks,
    uint,
)
from gallery.images.formats import invalid_image

GPS_IFD = ExifTags.IFD.GPSInfo
EXIF_PREFIX = b"Exif\x00\x00"
XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
COPY_BLOCK = 1024 * 1024


def without_location(image):
    """Return a DetectedImage with a file whose metadata records no location, or `image` when it has none to remove.

    The copy keeps the pixels' bytes and other EXIF (orientation, camera, time taken). Raises ValidationError
    if the metadata cannot be read.
    """
    rewrite = {
        "JPEG": _jpeg_pieces,
        "PNG": _png_pieces,
        "WEBP": _webp_pieces,
        "HEIF": _heif_pieces,
        "AVIF": _heif_pieces,
    }.get(image.format)
    if rewrite is None:
        return image
    with file_contents(image.file) as data:
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


def _jpeg_pieces(data):
    """The rewritten JPEG as bytes and slices of `data`, or None when nothing needs removing."""
    pieces, changed = [b"\xff\xd8"], False
    for marker, start, end in jpeg_segments(data):
        payload = bytes(data[start + 4 : end]) if marker != JPEG_SOS else b""
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
        elif marker == JPEG_SOS:
            scan_start = start
            break
        else:
            pieces.append(slice(start, end))
    else:
        raise ValueError("no scan in this JPEG")
    end = next((end for marker, _, end in jpeg_segments(data, whole=True) if marker == JPEG_EOI), len(data))
    if end < len(data):
        changed = True  # data after the image's end: an MPO's other images, or anything at all
    pieces.append(slice(scan_start, end))
    return pieces if changed else None


def _png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_pieces(data):
    """The rewritten PNG as bytes and slices of `data`, or None when nothing needs removing."""
    pieces, changed = [bytes(data[:8])], False
    for kind, start, end in png_chunks(data):
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
    for kind, position, length, end in riff_chunks(data):
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


# An XMP packet that says nothing; the rest of a removed packet's length is whitespace, which XMP allows as padding.
EMPTY_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    b'<?xpacket end="w"?>',
)
# A big-endian TIFF header and an IFD0 with no entries: EXIF that says nothing.
EMPTY_TIFF = b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"


def _heif_pieces(data):
    """The HEIC or AVIF with its EXIF items' GPS and its XMP items blanked in place, or None when there are none."""
    meta = heif_meta_box(data)
    if meta is None:
        return None
    meta_start, meta_end = meta
    items = heif_metadata_items(meta_start, meta_end, data)
    replacements = []
    for item_id, extents in heif_item_extents(meta_start, meta_end, data, items).items():
        if any(offset + length > len(data) for offset, length in extents):
            raise ValueError("metadata item outside the file")
        payload = b"".join(bytes(data[offset : offset + length]) for offset, length in extents)
        blank = _blank_exif(payload) if items[item_id] == "exif" else _blank_xmp(len(payload))
        if blank is None:
            continue
        for offset, length in extents:
            replacements.append((offset, length, blank[:length]))
            blank = blank[length:]
    if not replacements:
        return None
    pieces, position = [], 0
    for offset, length, replacement in sorted(replacements):
        if offset < position:
            raise ValueError("metadata items overlap")
        pieces += [slice(position, offset), replacement]
        position = offset + length
    return [*pieces, slice(position, len(data))]


def _blank_exif(payload):
    """An EXIF item's payload (a 4-byte offset to the TIFF header, then the TIFF) without GPS, at the same length."""
    tiff_at = 4 + uint(payload, 0, 4)
    tiff = exif_without_gps(payload[tiff_at:])
    if tiff is None:
        return None
    if not tiff or len(tiff) > len(payload) - tiff_at:
        tiff = EMPTY_TIFF if len(EMPTY_TIFF) <= len(payload) - tiff_at else b""
    return payload[:tiff_at] + tiff.ljust(len(payload) - tiff_at, b"\0")


def _blank_xmp(length):
    """An XMP packet of `length` bytes that says nothing."""
    head, tail = EMPTY_XMP
    if length < len(head) + len(tail):
        return b" " * length
    return head + b" " * (length - len(head) - len(tail)) + tail
