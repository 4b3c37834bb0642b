"""How much metadata an upload carries, counted from its container before any decoder reads it.

Decoders trust a container's structure and hold its metadata while they decode (see the limits in
gallery.images.limits), so a file whose container contradicts its data, or whose metadata is over the limits,
is refused here: the decoders only ever see containers that were walked and found consistent.
"""

from gallery.images.containers import (
    EXIF_PREFIX,
    JPEG_SOS,
    MalformedContainer,
    file_contents,
    gif_extension_blocks,
    image_container,
    jpeg_segments,
    png_chunks,
    riff_chunks,
)
from gallery.images.formats import invalid_image, too_much_metadata
from gallery.images.isobmff import heif_item_extents, heif_items, heif_meta_box, isobmff_boxes, unique_boxes
from gallery.images.limits import MAX_EXIF_BYTES, MAX_ICC_BYTES, MAX_METADATA_BLOCKS, MAX_METADATA_BYTES


def check_metadata(file):
    """Raise ValidationError if the file's container is malformed or carries more metadata than the limits allow.

    Bytes in no container of an accepted format pass: the decoders refuse them.
    """
    with file_contents(file) as data:
        count = COUNTERS.get(image_container(data))
        if count is None:
            return
        tally = Tally()
        try:
            count(data, tally)
        except MalformedContainer as error:
            raise invalid_image() from error


class Tally:
    """The metadata counted so far; add() raises ValidationError as soon as a limit is passed."""

    def __init__(self):
        self.blocks = self.total = self.exif = self.icc = 0

    def add(self, size=0, exif=0, icc=0, blocks=1):
        """Count `blocks` blocks holding `size` bytes of metadata, of which `exif` of EXIF and `icc` of a profile."""
        self.blocks += blocks
        self.total += size
        self.exif += exif
        self.icc += icc
        if self.blocks > MAX_METADATA_BLOCKS:
            raise too_much_metadata(f"more than {MAX_METADATA_BLOCKS} blocks of it")
        for amount, limit, what in (
            (self.exif, MAX_EXIF_BYTES, f"EXIF over {MAX_EXIF_BYTES // 1024} KB"),
            (self.icc, MAX_ICC_BYTES, f"a colour profile over {MAX_ICC_BYTES // 2**20} MB"),
            (self.total, MAX_METADATA_BYTES, f"over {MAX_METADATA_BYTES // 2**20} MB of it in all"),
        ):
            if amount > limit:
                raise too_much_metadata(what)


ICC_PREFIX = b"ICC_PROFILE\x00"


def _count_jpeg(data, tally):
    """Every segment before the first scan, which Pillow keeps; APPn and COM are metadata."""
    for marker, start, end in jpeg_segments(data):
        if marker == JPEG_SOS:
            return
        payload = end - start - 4
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            head = bytes(data[start + 4 : start + 4 + len(ICC_PREFIX)])
            exif = marker == 0xE1 and head.startswith(EXIF_PREFIX)
            icc = marker == 0xE2 and head.startswith(ICC_PREFIX)
            # A profile's segments each start with the prefix, its number and how many there are.
            tally.add(payload, exif=(payload - len(EXIF_PREFIX)) * exif, icc=(payload - len(ICC_PREFIX) - 2) * icc)
        else:
            tally.add()


# Chunks of pixels, streamed by the decoder rather than kept: IDAT, and an animated PNG's frame data and control.
PNG_IMAGE_CHUNKS = {b"IDAT", b"fdAT", b"fcTL"}


def _count_png(data, tally):
    for kind, start, end in png_chunks(data):
        if kind not in PNG_IMAGE_CHUNKS:
            payload = end - start - 12
            tally.add(payload, exif=payload * (kind == b"eXIf"), icc=payload * (kind == b"iCCP"))


def _count_gif(data, tally):
    """The extensions before the first image (comments, application data), which Pillow reads a sub-block at a time."""
    for _, start, end in gif_extension_blocks(data):
        tally.add(end - start)


# Chunks of pixels and of the canvas: every other chunk is metadata.
WEBP_IMAGE_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}


def _count_webp(data, tally):
    """Every chunk, which libwebp indexes (an animation's frames included)."""
    for kind, _, length, _ in riff_chunks(data):
        size = 0 if kind in WEBP_IMAGE_CHUNKS else length
        tally.add(size, exif=size * (kind == b"EXIF"), icc=size * (kind == b"ICCP"))


def _count_isobmff(data, tally):
    """The top-level boxes, the meta box (which libheif parses whole) and the EXIF and XMP items it locates."""
    for _ in isobmff_boxes(data, 0, len(data)):
        tally.add()
    meta = heif_meta_box(data)
    if meta is None:
        return
    for _ in isobmff_boxes(data, *meta):
        tally.add()
    boxes = unique_boxes(data, *meta)
    idat_start, idat_end = boxes.get(b"idat", (0, 0))
    tally.add(meta[1] - meta[0] - (idat_end - idat_start), blocks=0)
    if b"iprp" in boxes:
        _count_properties(data, *boxes[b"iprp"], tally)
    items = heif_items(*meta, data)
    tally.add(blocks=len(items))
    wanted = {item_id for item_id, item_type in items.items() if item_type in {b"Exif", b"xmp", b"mime"}}
    for item_id, extents in heif_item_extents(*meta, data, wanted).items():
        size = sum(length for _, length in extents)
        tally.add(size, exif=size * (items[item_id] == b"Exif"), blocks=len(extents))


def _count_properties(data, start, end, tally):
    """The item properties (ipco): their colour profiles, already counted as part of the meta box."""
    for kind, property_start, property_end in isobmff_boxes(data, start, end):
        if kind != b"ipco":
            continue
        for prop, colr_start, colr_end in isobmff_boxes(data, property_start, property_end):
            tally.add()
            if prop == b"colr" and bytes(data[colr_start : colr_start + 4]) in (b"prof", b"rICC"):
                tally.add(icc=colr_end - colr_start - 4, blocks=0)


COUNTERS = {
    "JPEG": _count_jpeg,
    "PNG": _count_png,
    "GIF": _count_gif,
    "WEBP": _count_webp,
    "ISOBMFF": _count_isobmff,
}
