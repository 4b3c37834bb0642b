"""Walking the containers of the accepted formats: JPEG segments, PNG chunks, RIFF chunks, ISOBMFF boxes and items.

Shared by the decode limits (how many scans a JPEG has) and the location stripping (which blocks to rewrite).
Hand-written: no maintained Python package walks all of them without decoding or rewriting the whole file.
"""

import mmap
import re
import struct
from contextlib import contextmanager


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


# A marker in JPEG data: 0xFF then anything but stuffing (0x00), a restart marker or a fill byte.
JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_STANDALONE = {0x01, 0xD8, 0xD9}
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9


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
        if marker == JPEG_EOI or (marker == JPEG_SOS and not whole):
            return
        position = end


def png_chunks(data):
    """Yield (type, start, end) for a PNG's chunks, each from its length field to the end of its CRC."""
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        yield kind, position, end
        if kind == b"IEND":
            return
        position = end


def riff_chunks(data):
    """Yield (type, start, payload length, end) for the chunks of a RIFF file (WebP), each from its type field."""
    position = 12
    while position + 8 <= len(data):
        kind, length = struct.unpack_from("<4sI", data, position)
        end = min(position + 8 + length + (length & 1), len(data))
        yield kind, position, length, end
        position = end


def isobmff_boxes(data, start, end):
    """Yield (type, payload start, end) for the boxes of the ISO base media file format in data[start:end]."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ValueError(f"box {kind!r} runs past its container")
        yield kind, position + header, position + size
        position += size


def uint(data, position, size):
    """The big-endian unsigned integer of `size` bytes at `position`."""
    return int.from_bytes(data[position : position + size], "big")


def heif_meta_box(data):
    """(start, end) of the contents of a HEIC's or AVIF's top-level meta box, after its version and flags; or None."""
    meta = next(((start, end) for kind, start, end in isobmff_boxes(data, 0, len(data)) if kind == b"meta"), None)
    return None if meta is None else (meta[0] + 4, meta[1])


def heif_metadata_items(meta_start, meta_end, data):
    """{item id: "exif" or "xmp"} from the meta box's item information (iinf)."""
    items = {}
    for kind, start, end in isobmff_boxes(data, meta_start, meta_end):
        if kind != b"iinf":
            continue
        first_entry = start + 4 + (2 if data[start] == 0 else 4)  # version and flags, then the entry count
        for entry, entry_start, entry_end in isobmff_boxes(data, first_entry, end):
            version = data[entry_start]
            if entry != b"infe" or version < 2:
                continue
            id_size = 2 if version == 2 else 4
            item_id = uint(data, entry_start + 4, id_size)
            type_at = entry_start + 4 + id_size + 2  # after the protection index
            item_type = bytes(data[type_at : type_at + 4])
            # Then the item's name, and for a mime item its content type, both ending in NUL.
            strings = bytes(data[type_at + 4 : entry_end]).split(b"\0")
            if item_type == b"Exif":
                items[item_id] = "exif"
            elif item_type == b"mime" and strings[1:2] == [b"application/rdf+xml"]:
                items[item_id] = "xmp"
    return items


def heif_item_extents(meta_start, meta_end, data, wanted):
    """{item id: [(file offset, length), ...]} for the wanted items, from the meta box's item locations (iloc)."""
    boxes = {kind: (start, end) for kind, start, end in isobmff_boxes(data, meta_start, meta_end)}
    if b"iloc" not in boxes:
        raise ValueError("no item locations")
    position, _ = boxes[b"iloc"]
    version = data[position]
    offset_size, length_size = data[position + 4] >> 4, data[position + 4] & 15
    base_offset_size, index_size = data[position + 5] >> 4, (data[position + 5] & 15 if version in (1, 2) else 0)
    id_size = 4 if version == 2 else 2
    count, position = uint(data, position + 6, id_size), position + 6 + id_size
    extents = {}
    for _ in range(count):
        item_id, position = uint(data, position, id_size), position + id_size
        method = 0
        if version in (1, 2):
            method, position = uint(data, position, 2) & 15, position + 2
        base, position = uint(data, position + 2, base_offset_size), position + 2 + base_offset_size
        extent_count, position = uint(data, position, 2), position + 2
        item = []
        for _ in range(extent_count):
            position += index_size
            offset, position = uint(data, position, offset_size), position + offset_size
            length, position = uint(data, position, length_size), position + length_size
            item.append((base + offset, length))
        if item_id not in wanted:
            continue
        if method == 1:  # inside the meta box's idat
            idat_start, idat_end = boxes.get(b"idat") or (0, 0)
            item = [(idat_start + offset, length or idat_end - idat_start - offset) for offset, length in item]
        elif method != 0:
            raise ValueError("metadata item stored by reference")
        extents[item_id] = [(offset, length or len(data) - offset) for offset, length in item]
    return extents
