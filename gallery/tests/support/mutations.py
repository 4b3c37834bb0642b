"""Hypothesis strategies that damage the containers of real images carrying metadata (gallery.tests.support.seeds).

A seed's structure (its blocks and integer fields: lengths, counts, offsets, types, sizes) is found once by walking
it; a mutation flips bytes, truncates, duplicates or removes a block, nests one block in another (growing every
length around it), or sets a field to a value chosen to contradict the data.
"""

import struct
import zlib
from dataclasses import dataclass

from hypothesis import strategies as st

from gallery.images.containers import jpeg_segments, png_chunks, riff_chunks
from gallery.images.isobmff import heif_item_extents, heif_items, heif_meta_box, isobmff_boxes
from gallery.tests.support.images import png_chunk


@dataclass(frozen=True)
class Field:
    """An unsigned integer in the file: where it is, its size in bytes and its byte order."""

    offset: int
    size: int
    order: str = "big"

    def read(self, data):
        return int.from_bytes(data[self.offset : self.offset + self.size], self.order)

    def write(self, data, value):
        data[self.offset : self.offset + self.size] = (value % (1 << 8 * self.size)).to_bytes(self.size, self.order)


@dataclass(frozen=True)
class Block:
    """A segment, chunk, box or sub-block: its bytes, where its contents start, the length fields that count them
    (its own, then its containers'), and the smallest block of its kind."""

    start: int
    end: int
    contents: int
    lengths: tuple = ()
    empty: bytes = b""  # a block of the same kind with nothing in it


@dataclass
class Structure:
    """What a mutation works on: a seed's blocks, and its integer fields."""

    blocks: list
    fields: list


def structure(data):
    """The blocks and fields of a seed, found with the app's own walkers (a seed is a sound file)."""
    found = Structure([], [])
    {
        b"\xff\xd8": _jpeg,
        b"\x89P": _png,
        b"GI": _gif,
        b"RI": _riff,
    }.get(data[:2], _isobmff)(data, found)
    return found


def _jpeg(data, found):
    for marker, start, end in jpeg_segments(data, whole=True):
        if end - start < 4:
            continue
        length = Field(start + 2, 2)
        found.blocks.append(Block(start, end, start + 4, (length,), bytes(data[start : start + 2]) + b"\0\2"))
        found.fields.append(length)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header: size, components
            found.fields += [Field(start + 5, 2), Field(start + 7, 2), Field(start + 9, 1)]
        if data[start + 4 : start + 10] == b"Exif\x00\x00":
            found.fields += tiff_fields(data, start + 10, end)
        if data[start + 4 : start + 8] == b"MPF\x00":
            found.fields += tiff_fields(data, start + 8, end)


def _png(data, found):
    for kind, start, end in png_chunks(data):
        length = Field(start, 4)
        found.blocks.append(Block(start, end, start + 8, (length,), png_chunk(kind, b"")))
        found.fields.append(length)
        if kind == b"IHDR":
            found.fields += [Field(start + 8, 4), Field(start + 12, 4), Field(start + 16, 1), Field(start + 17, 1)]
        if kind == b"eXIf":
            found.fields += tiff_fields(data, start + 8, end - 4)


def _gif(data, found):
    found.fields += [Field(6, 2, "little"), Field(8, 2, "little"), Field(10, 1)]
    position = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while position < len(data) and data[position] == 0x21:
        start, position = position, position + 2
        while data[position]:
            length = Field(position, 1)
            found.fields.append(length)
            found.blocks.append(Block(position, position + 1 + data[position], position + 1, (length,), b"\1 "))
            position += 1 + data[position]
        found.blocks.append(Block(start, position + 1, start + 2, (), bytes(data[start : start + 2]) + b"\0"))
        position += 1


def _riff(data, found):
    riff = Field(4, 4, "little")
    found.fields.append(riff)
    for kind, start, _, end in riff_chunks(data):
        own = Field(start + 4, 4, "little")
        found.blocks.append(Block(start, end, start + 8, (own, riff), kind + bytes(4)))
        found.fields.append(own)
        if kind == b"VP8X":
            found.fields += [Field(start + 8, 1), Field(start + 12, 3, "little"), Field(start + 15, 3, "little")]
        if kind == b"EXIF":
            found.fields += tiff_fields(data, start + 8 + 6 * (data[start + 8 : start + 14] == b"Exif\0\0"), end)


# Boxes holding boxes, and how many bytes of their own (version and flags, an entry count) come first.
ISOBMFF_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"dinf": 0, b"dref": 8, b"iref": 4}


def _isobmff(data, found, start=0, end=None, around=()):
    for kind, contents, box_end in isobmff_boxes(data, start, len(data) if end is None else end):
        box_start = contents - 8
        size = Field(box_start, 4)
        lengths = (size, *around)
        found.blocks.append(Block(box_start, box_end, contents, lengths, b"\0\0\0\x08" + kind))
        found.fields.append(size)
        if kind in ISOBMFF_CONTAINERS:
            _isobmff(data, found, contents + ISOBMFF_CONTAINERS[kind], box_end, lengths)
        elif kind == b"iinf":
            found.fields.append(Field(contents + 4, 2 if data[contents] == 0 else 4))
            _isobmff(data, found, contents + (6 if data[contents] == 0 else 8), box_end, lengths)
        elif kind == b"infe":
            found.fields += [Field(contents, 1), Field(contents + 4, 2), Field(contents + 8, 4)]
        elif kind == b"ispe":
            found.fields += [Field(contents + 4, 4), Field(contents + 8, 4)]
        elif kind in (b"iloc", b"pitm", b"ipma", b"colr"):
            found.fields += [Field(offset, 1) for offset in range(contents, min(box_end, contents + 64))]
    if end is None:
        meta = heif_meta_box(data)
        items = heif_items(*meta, data)
        exif = {item_id for item_id, item_type in items.items() if item_type == b"Exif"}
        for extents in heif_item_extents(*meta, data, exif).values():
            offset, length = extents[0]
            found.fields.append(Field(offset, 4))
            found.fields += tiff_fields(data, offset + 4 + Field(offset, 4).read(data), offset + length)


# IFDs that hold the offset of another: the EXIF IFD, GPS and interoperability.
SUB_IFDS = {0x8769, 0x8825, 0xA005}


def tiff_fields(data, start, end):
    """The fields of the TIFF structure (EXIF, an MPO's index) in data[start:end]: each IFD's entry count, each
    entry's tag, type, count and value or offset, and the offset of the next IFD."""
    order = {b"II": "little", b"MM": "big"}.get(bytes(data[start : start + 2]))
    if order is None:
        return []
    first = Field(start + 4, 4, order)
    fields, pending, seen = [first], [first.read(data)], set()
    while pending:
        ifd = start + pending.pop()
        if ifd in seen or ifd + 2 > end:
            continue
        seen.add(ifd)
        count = Field(ifd, 2, order)
        fields.append(count)
        entries = ifd + 2
        for entry in range(entries, min(entries + 12 * count.read(data), end - 11), 12):
            tag = Field(entry, 2, order)
            value = Field(entry + 8, 4, order)
            fields += [tag, Field(entry + 2, 2, order), Field(entry + 4, 4, order), value]
            if tag.read(data) in SUB_IFDS:
                pending.append(value.read(data))
        following = entries + 12 * count.read(data)
        if following + 4 <= end:
            fields.append(Field(following, 4, order))
            if nxt := Field(following, 4, order).read(data):
                pending.append(nxt)
    return fields


def grown(data, block, added, at):
    """data with `added` inserted at `at` inside `block`, and every length that counts the block grown to match."""
    data = bytearray(data[:at] + added + data[at:])
    for length in block.lengths:
        length.write(data, length.read(data) + len(added))
    return data


@st.composite
def mutated(draw, seed, found):
    """The seed after one to four mutations, then (for a PNG, usually) with its chunks' CRCs made right again."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, bytearray(data), found)
    if data[:4] == b"\x89PNG" and draw(st.booleans()):
        data = with_png_crcs(data)
    return bytes(data)


def _flip(draw, data, found):
    if not data:
        return data
    block = draw(st.sampled_from(found.blocks))
    lo, hi = draw(st.sampled_from([(0, len(data)), (block.start, min(block.end, len(data)))]))
    if lo >= hi:
        return data
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(lo, hi - 1))
        data[position] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, data[position] ^ 1]) | st.integers(0, 255))
    return data


def _truncate(draw, data, found):
    return data[: draw(st.integers(0, max(0, len(data) - 1)))]


def _set_field(draw, data, found):
    field = draw(st.sampled_from(found.fields))
    if field.offset + field.size > len(data):
        return data
    value = field.read(data)
    field.write(
        data,
        draw(
            st.sampled_from(
                [0, 1, 2, 3, value - 1, value + 1, value * 2, value * 256, len(data), 0xFFFF, (1 << 8 * field.size) - 1]
            )
            | st.integers(0, (1 << 8 * field.size) - 1)
        ),
    )
    return data


# At most this many bytes of copies: thousands of a small block reach the limit on their number.
MAX_COPIES_BYTES = 2 * 1024 * 1024


def _duplicate(draw, data, found):
    block = draw(st.sampled_from(found.blocks))
    if block.end > len(data):
        return data
    one = draw(st.sampled_from([bytes(data[block.start : block.end]), block.empty]))
    count = draw(st.integers(1, 4) | st.sampled_from([1_000, 1_000_000]))
    copies = one * min(count, MAX_COPIES_BYTES // max(1, len(one)))
    if draw(st.booleans()):  # beside it
        return data[: block.end] + copies + data[block.end :]
    return grown(data, block, copies, block.contents)  # inside it


def _remove(draw, data, found):
    block = draw(st.sampled_from(found.blocks))
    return data[: block.start] + data[block.end :]


def _nest(draw, data, found):
    """One block put inside another (a box in a box, a chunk in a chunk), every length around it grown."""
    inner, outer = draw(st.sampled_from(found.blocks)), draw(st.sampled_from(found.blocks))
    if max(inner.end, outer.end) > len(data):
        return data
    return grown(data, outer, bytes(data[inner.start : inner.end]), outer.contents)


MUTATIONS = [_flip, _truncate, _set_field, _duplicate, _remove, _nest]


def with_png_crcs(data):
    """A PNG with each chunk's CRC made right for its bytes, as far as its chunks can be followed."""
    data, position = bytearray(data), 8
    while position + 12 <= len(data):
        length = struct.unpack_from(">I", data, position)[0]
        end = position + 12 + length
        if end > len(data):
            break
        data[end - 4 : end] = struct.pack(">I", zlib.crc32(data[position + 4 : end - 4]))
        position = end
    return data
