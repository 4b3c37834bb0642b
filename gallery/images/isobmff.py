"""Walking the boxes of the ISO base media file format (HEIC and AVIF): the top-level meta box, its items and where
they are stored. As in gallery.images.containers, a length, count or offset that contradicts the data raises
MalformedContainer.
"""

import struct

from gallery.images.containers import MalformedContainer


def isobmff_boxes(data, start, end):
    """Yield (type, payload start, end) for the boxes of the ISO base media file format in data[start:end]."""
    position = start
    while position < end:
        if position + 8 > end:
            raise MalformedContainer("box header cut off")
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise MalformedContainer(f"box {kind!r} header cut off")
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise MalformedContainer(f"box {kind!r} runs past its container")
        yield kind, position + header, position + size
        position += size


class BoxFields:
    """Reads a box's big-endian unsigned fields in order; reading past the box's end raises MalformedContainer."""

    def __init__(self, data, position, end):
        self.data, self.position, self.end = data, position, end

    def read(self, size):
        if self.position + size > self.end:
            raise MalformedContainer("box field runs past its box")
        value = int.from_bytes(self.data[self.position : self.position + size], "big")
        self.position += size
        return value


# The boxes this module reads, each of which a file has at most one of where it is looked for: with two, libheif
# and this code might each read a different one.
UNIQUE_BOXES = {b"meta", b"iinf", b"iloc", b"idat", b"iprp", b"ipco"}


def unique_boxes(data, start, end):
    """{type: (payload start, end)} of the boxes in data[start:end] that this module reads; two of one is malformed."""
    boxes = {}
    for kind, payload_start, payload_end in isobmff_boxes(data, start, end):
        if kind in boxes:
            raise MalformedContainer(f"two {kind!r} boxes")
        if kind in UNIQUE_BOXES:
            boxes[kind] = (payload_start, payload_end)
    return boxes


def heif_meta_box(data):
    """(start, end) of the contents of a HEIC's or AVIF's top-level meta box, after its version and flags; or None."""
    meta = unique_boxes(data, 0, len(data)).get(b"meta")
    if meta is None:
        return None
    if meta[0] + 4 > meta[1]:
        raise MalformedContainer("meta box cut off")
    return meta[0] + 4, meta[1]


def heif_items(meta_start, meta_end, data):
    """{item id: item type} from the meta box's item information (iinf); "xmp" for a mime item of XMP."""
    boxes = unique_boxes(data, meta_start, meta_end)
    if b"iinf" not in boxes:
        return {}
    start, end = boxes[b"iinf"]
    fields = BoxFields(data, start, end)
    version = fields.read(1)
    fields.read(3 + (2 if version == 0 else 4))  # flags, then the entry count
    items = {}
    for entry, entry_start, entry_end in isobmff_boxes(data, fields.position, end):
        if entry != b"infe":
            continue
        fields = BoxFields(data, entry_start, entry_end)
        version = fields.read(1)
        if version < 2:
            continue  # no item type: not an image file's item
        fields.read(3)
        item_id = fields.read(2 if version == 2 else 4)
        fields.read(2)  # the protection index
        item_type = fields.read(4).to_bytes(4, "big")
        # Then the item's name, and for a mime item its content type, both ending in NUL.
        strings = bytes(data[fields.position : entry_end]).split(b"\0")
        if item_type == b"mime" and strings[1:2] == [b"application/rdf+xml"]:
            item_type = b"xmp"
        if item_id in items:  # libheif would take one of the two, this code perhaps the other
            raise MalformedContainer(f"two items numbered {item_id}")
        items[item_id] = item_type
    return items


# libheif refuses an item of more extents than this (heif_security_limits.max_iloc_extents_per_item).
MAX_EXTENTS_PER_ITEM = 32


def heif_item_extents(meta_start, meta_end, data, wanted):
    """{item id: [(file offset, length), ...]} for the wanted items, from the meta box's item locations (iloc).

    Each extent lies within the file; items stored elsewhere (another file, or by reference to other items) are
    refused, since blanking them in place would write over something else.
    """
    return {
        item_id: _item_extents_in_file(extents, method, reference, boxes, data)
        for item_id, method, reference, extents, boxes in _item_locations(meta_start, meta_end, data)
        if item_id in wanted
    }


def heif_stored_extents(meta_start, meta_end, data):
    """{item id: [(file offset, length), ...]} for every item whose data lies within the file."""
    located = {}
    for item_id, method, reference, extents, boxes in _item_locations(meta_start, meta_end, data):
        try:
            located[item_id] = _item_extents_in_file(extents, method, reference, boxes, data)
        except MalformedContainer:
            continue  # not in this file: nothing here to write over
    return located


def check_items_alone(data, meta, located):
    """Raise MalformedContainer unless each extent of these located items lies in an mdat box or the meta box's idat,
    clear of every other item's data."""
    areas = [(start, end) for kind, start, end in isobmff_boxes(data, 0, len(data)) if kind == b"mdat"]
    idat = unique_boxes(data, *meta).get(b"idat")
    areas += [idat] if idat else []
    stored = heif_stored_extents(*meta, data)
    for item_id, extents in located.items():
        others = [extent for other, other_extents in stored.items() if other != item_id for extent in other_extents]
        for offset, size in extents:
            if not any(start <= offset and offset + size <= end for start, end in areas):
                raise MalformedContainer("item outside the file's data boxes")
            if any(offset < other + other_size and other < offset + size for other, other_size in others):
                raise MalformedContainer("item over another item's data")


def _item_locations(meta_start, meta_end, data):
    """Yield (item id, construction method, data reference, [(offset, length)], the meta box's boxes) from iloc."""
    boxes = unique_boxes(data, meta_start, meta_end)
    if b"iloc" not in boxes:
        raise MalformedContainer("no item locations")
    fields = BoxFields(data, *boxes[b"iloc"])
    version = fields.read(1)
    fields.read(3)
    offset_size, length_size = divmod(fields.read(1), 16)
    base_offset_size, index_size = divmod(fields.read(1), 16)
    if version not in (1, 2):
        index_size = 0
    if not {offset_size, length_size, base_offset_size, index_size} <= {0, 4, 8}:
        raise MalformedContainer("item locations with fields of impossible sizes")
    id_size = 4 if version == 2 else 2
    for _ in range(fields.read(id_size)):
        item_id = fields.read(id_size)
        method = fields.read(2) & 15 if version in (1, 2) else 0
        reference = fields.read(2)
        base = fields.read(base_offset_size)
        extent_count = fields.read(2)
        if extent_count > MAX_EXTENTS_PER_ITEM:
            raise MalformedContainer(f"an item of {extent_count} extents")
        extents = []
        for _ in range(extent_count):
            fields.read(index_size)
            offset = fields.read(offset_size)
            extents.append((base + offset, fields.read(length_size)))
        yield item_id, method, reference, extents, boxes


def _item_extents_in_file(extents, method, reference, boxes, data):
    if reference != 0 or method not in (0, 1):
        raise MalformedContainer("metadata item stored outside the file, or by reference")
    area_start, area_end = 0, len(data)
    if method == 1:  # inside the meta box's idat
        if b"idat" not in boxes:
            raise MalformedContainer("item in an idat box that is not there")
        area_start, area_end = boxes[b"idat"]
    located = []
    for offset, length in extents:
        start = area_start + offset
        length = length or area_end - start  # 0: to the end
        if start + length > area_end or length < 0:
            raise MalformedContainer("metadata item outside the file")
        located.append((start, length))
    return located


def heif_rotation(data):
    """([where each rotation's angle is], quarter turns anticlockwise) of a HEIC's or AVIF's rotation properties
    (irot), when they all turn by the same and no mirroring (imir) follows; None when there are none or they cannot
    be taken apart so simply."""
    meta = heif_meta_box(data)
    iprp = None if meta is None else unique_boxes(data, *meta).get(b"iprp")
    ipco = None if iprp is None else unique_boxes(data, *iprp).get(b"ipco")
    if ipco is None:
        return None
    offsets, turns = [], set()
    for kind, start, end in isobmff_boxes(data, *ipco):
        if kind == b"imir":
            return None
        if kind == b"irot":
            if start >= end:
                raise MalformedContainer("rotation box cut off")
            offsets.append(start)
            turns.add(data[start] & 3)
    if len(turns) != 1 or turns == {0}:
        return None
    return offsets, turns.pop()
