"""Removing where a photo was taken from its metadata, losslessly: the pixels' bytes are copied as they are.

Hand-written on purpose: no maintained Python package edits metadata losslessly in all these
containers (piexif is unmaintained since 2019 and JPEG-only for writing; pyexiv2 runs exiv2's
C++ parsers, with their long CVE history, on strangers' files, and rewrites whole files in
memory). Pillow parses and re-serialises the EXIF itself; the code below only walks the
containers' segment lists (gallery.images.containers, .isobmff) and copies everything else byte for byte.

Removed: EXIF's GPS IFD; every XMP packet (exif:GPS*, photoshop:City, Iptc4xmpCore:Location
and more can appear in any of its namespaces, and editing XML from strangers safely needs more
than this module should hold); IPTC (its City and Sublocation fields) in JPEG's APP13; PNG's
"Raw profile type" text (ImageMagick's copies of EXIF, IPTC and XMP); and whatever follows a
JPEG's end (an MPO's further images carry their own EXIF). GIF has no EXIF; XMP in a GIF's
application extension is left as it is. HEIC and AVIF keep EXIF and XMP as items of their
container: those are rewritten in place, at the same length, so no offset in the file changes.

The containers are a stranger's. One whose structure contradicts its data is refused (the upload's 400, through
MalformedContainer). A metadata block in a sound container that cannot be read back safely (EXIF over 64 KB, EXIF
that Pillow cannot parse or write again, an EXIF item whose TIFF header lies outside it) is dropped whole, or
blanked whole in a HEIC or AVIF: the image itself is sound, and nothing of such a block can be kept with confidence.
"""

import dataclasses
import struct
import tempfile
import zlib

from django.conf import settings
from django.core.files import File
from PIL import ExifTags, Image

from gallery.images.containers import (
    EXIF_PREFIX,
    JPEG_EOI,
    JPEG_SOS,
    PNG_SIGNATURE_LENGTH,
    RIFF_HEADER_LENGTH,
    MalformedContainer,
    file_contents,
    jpeg_segments,
    png_chunks,
    riff_chunks,
)
from gallery.images.formats import invalid_image
from gallery.images.isobmff import check_items_alone, heif_item_extents, heif_items, heif_meta_box
from gallery.images.limits import MAX_EXIF_BYTES

GPS_IFD = ExifTags.IFD.GPSInfo
XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
COPY_BLOCK = 1024 * 1024


def without_location(image):
    """Return a DetectedImage with a file whose metadata records no location, or `image` when it has none to remove.

    The copy keeps the pixels' bytes and other EXIF (orientation, camera, time taken). Raises ValidationError
    if the container is malformed.
    """
    rewrite = {
        "JPEG": _jpeg_rewrite,
        "PNG": _png_rewrite,
        "WEBP": _webp_rewrite,
        "HEIF": _heif_rewrite,
        "AVIF": _heif_rewrite,
    }.get(image.format)
    if rewrite is None:
        return image
    with file_contents(image.file) as data:
        try:
            rewritten = rewrite(data)
        except MalformedContainer as error:
            raise invalid_image() from error
        if not rewritten.changed:
            return image
        # A file like an upload's: in memory while small, on disk when large.
        copy = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 (returned)
        for piece in rewritten.pieces:
            if isinstance(piece, bytes):
                copy.write(piece)
            else:
                for start in range(piece.start, piece.stop, COPY_BLOCK):
                    copy.write(data[start : min(start + COPY_BLOCK, piece.stop)])
    stripped = File(copy, name=image.file.name)
    stripped.size = copy.tell()
    stripped.seek(0)
    return dataclasses.replace(image, file=stripped)


class Rewrite:
    """A file rewritten as pieces: new bytes, and ranges of the original copied as they are (adjacent ones merged,
    so that a file of many small blocks makes few pieces). `changed` says whether anything was removed or replaced."""

    def __init__(self):
        self.pieces, self.changed = [], False

    def keep(self, start, end):
        last = self.pieces[-1] if self.pieces else None
        if isinstance(last, slice) and last.stop == start:
            self.pieces[-1] = slice(last.start, end)
        else:
            self.pieces.append(slice(start, end))

    def write(self, data):
        self.pieces.append(data)
        self.changed = True

    def drop(self):
        self.changed = True

    @property
    def size(self):
        return sum(len(p) if isinstance(p, bytes) else p.stop - p.start for p in self.pieces)


def exif_without_gps(tiff):
    """The TIFF-structured EXIF without its GPS IFD, or None when it has none; b"" when it cannot be kept."""
    if len(tiff) > MAX_EXIF_BYTES:
        return b""
    exif = Image.Exif()
    try:
        exif.load(tiff)
        if GPS_IFD not in exif:
            return None
        del exif[GPS_IFD]
        return exif.tobytes()[len(EXIF_PREFIX) :]
    except Exception:
        # Pillow's EXIF code raises most kinds of error on crafted data (AttributeError from tobytes() when a
        # tag's type was changed, TypeError, KeyError, OverflowError...); the block is small, and dropped.
        return b""


def _jpeg_rewrite(data):
    """The JPEG without its EXIF GPS, XMP, IPTC and anything after its first image."""
    rewrite, exif_seen = Rewrite(), False
    rewrite.keep(0, 2)
    for marker, start, end in jpeg_segments(data):
        head = bytes(data[start + 4 : min(end, start + 40)])
        if marker == 0xE1 and head.startswith(EXIF_PREFIX):
            # Pillow reads a second EXIF segment as the continuation of the first: only the first is kept.
            tiff = b"" if exif_seen else exif_without_gps(bytes(data[start + 4 + len(EXIF_PREFIX) : end]))
            exif_seen = True
            if tiff is None:
                rewrite.keep(start, end)
            elif tiff and len(tiff) + len(EXIF_PREFIX) + 2 <= 0xFFFF:
                rewrite.write(b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + EXIF_PREFIX + tiff)
            else:
                rewrite.drop()
        elif (
            (marker == 0xE1 and head.startswith(XMP_PREFIXES))
            or marker == 0xED
            or (marker == 0xE2 and head.startswith(b"MPF\x00"))
        ):
            rewrite.drop()  # XMP, IPTC, or an MPO's index of the images dropped below
        elif marker == JPEG_SOS:
            scan_start = start
            break
        else:
            rewrite.keep(start, end)
    else:
        raise MalformedContainer("no scan in this JPEG")
    end = next((end for marker, _, end in jpeg_segments(data, whole=True) if marker == JPEG_EOI), len(data))
    if end < len(data):
        rewrite.drop()  # data after the image's end: an MPO's other images, or anything at all
    rewrite.keep(scan_start, end)
    return rewrite


def _png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_rewrite(data):
    """The PNG without its EXIF GPS, XMP and ImageMagick's raw profiles."""
    rewrite = Rewrite()
    rewrite.keep(0, PNG_SIGNATURE_LENGTH)
    for kind, start, end in png_chunks(data):
        if kind == b"eXIf":
            tiff = exif_without_gps(bytes(data[start + 8 : end - 4]).removeprefix(EXIF_PREFIX))
            if tiff is None:
                rewrite.keep(start, end)
            elif tiff:
                rewrite.write(_png_chunk(kind, tiff))
            else:
                rewrite.drop()
        elif kind in {b"tEXt", b"zTXt", b"iTXt"} and _png_text_is_metadata(bytes(data[start + 8 : start + 88])):
            rewrite.drop()
        else:
            rewrite.keep(start, end)
    return rewrite


def _png_text_is_metadata(head):
    keyword = head.partition(b"\x00")[0]
    return keyword == b"XML:com.adobe.xmp" or keyword.startswith(b"Raw profile type")


# VP8X's first byte says which metadata chunks follow.
VP8X_EXIF, VP8X_XMP = 0x08, 0x04


def _webp_rewrite(data):
    """The WebP without its EXIF GPS and XMP, its VP8X flags and RIFF size made to match."""
    rewrite, vp8x, has_exif = Rewrite(), None, False
    for kind, start, length, end in riff_chunks(data):
        if kind == b"VP8X" and start == RIFF_HEADER_LENGTH and length:
            vp8x = bytearray(data[start:end])  # always the first chunk; its flags are set below
        elif kind == b"EXIF":
            tiff = exif_without_gps(bytes(data[start + 8 : start + 8 + length]).removeprefix(EXIF_PREFIX))
            if tiff is None:
                rewrite.keep(start, end)
            elif tiff:
                rewrite.write(b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1))
            else:
                rewrite.drop()
            has_exif = has_exif or bool(tiff) or tiff is None
        elif kind == b"XMP ":
            rewrite.drop()
        else:
            rewrite.keep(start, end)
    if rewrite.changed:
        if vp8x is not None:
            vp8x[8] = (vp8x[8] & ~(VP8X_EXIF | VP8X_XMP)) | (VP8X_EXIF if has_exif else 0)
            rewrite.pieces.insert(0, bytes(vp8x))
        rewrite.pieces.insert(0, b"RIFF" + struct.pack("<I", 4 + rewrite.size) + b"WEBP")
    return rewrite


# An XMP packet that says nothing; the rest of a removed packet's length is whitespace, which XMP allows as padding.
EMPTY_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    b'<?xpacket end="w"?>',
)
# A big-endian TIFF header and an IFD0 with no entries: EXIF that says nothing.
EMPTY_TIFF = b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"


def _heif_rewrite(data):
    """The HEIC or AVIF with its EXIF items' GPS and its XMP items blanked in place."""
    rewrite = Rewrite()
    meta = heif_meta_box(data)
    replacements = []
    if meta is not None:
        items = heif_items(*meta, data)
        wanted = {item_id for item_id, item_type in items.items() if item_type in {b"Exif", b"xmp"}}
        metadata = heif_item_extents(*meta, data, wanted)
        check_items_alone(data, meta, metadata)  # blanking them writes over nothing else
        for item_id, extents in metadata.items():
            length = sum(length for _, length in extents)
            if items[item_id] == b"Exif":
                blank = _blank_exif(b"".join(bytes(data[offset : offset + size]) for offset, size in extents))
            else:
                blank = _blank_xmp(length)
            if blank is None:
                continue
            for offset, size in extents:
                replacements.append((offset, size, blank[:size]))
                blank = blank[size:]
    position = 0
    for offset, size, replacement in sorted(replacements):
        if offset < position:
            raise MalformedContainer("metadata items overlap")
        rewrite.keep(position, offset)
        rewrite.write(replacement)
        position = offset + size
    rewrite.keep(position, len(data))
    return rewrite


def _blank_exif(payload):
    """An EXIF item's payload (a 4-byte offset to the TIFF header, then the TIFF) without GPS, at the same length;
    None when it has none."""
    if len(payload) >= 4 and 4 + int.from_bytes(payload[:4], "big") <= len(payload):
        head = payload[: 4 + int.from_bytes(payload[:4], "big")]
        tiff = exif_without_gps(payload[len(head) :])
        if tiff is None:
            return None
    else:
        head, tiff = bytes(4), b""  # a TIFF header offset outside the item: it is blanked whole
    room = len(payload) - len(head)
    if not tiff or len(tiff) > room:
        tiff = EMPTY_TIFF if len(EMPTY_TIFF) <= room else b""
    return (head + tiff).ljust(len(payload), b"\0")[: len(payload)]


def _blank_xmp(length):
    """An XMP packet of `length` bytes that says nothing."""
    head, tail = EMPTY_XMP
    if length < len(head) + len(tail):
        return b" " * length
    return head + b" " * (length - len(head) - len(tail)) + tail
