"""Malformed metadata containers of every format, made from real images: the hostile corpus's share of them.

Each is one thing an attacker would try: a length that runs past its container, a tag whose type was changed,
more blocks or bytes of metadata than the limits allow (the sizes that took a worker past gigabytes before
gallery.images.metadata counted them), an item location that loops for ever.
"""

import io
import struct

from PIL import Image

from gallery.images.isobmff import heif_item_extents, heif_items, heif_meta_box, isobmff_boxes
from gallery.images.limits import MAX_EXIF_BYTES, MAX_ICC_BYTES, MAX_JPEG_SCANS, MAX_METADATA_BYTES
from gallery.tests.support.images import png_chunk
from gallery.tests.support.mutations import with_png_crcs
from gallery.tests.support.seeds import with_metadata

# The type of a TIFF tag: ASCII, and RATIONAL (two LONGs), which Pillow cannot write back as a string.
ASCII, RATIONAL = 2, 5
MAKE = 0x010F


def exif_tag_retyped(content, tag=MAKE, new_type=RATIONAL):
    """`content` with one EXIF tag's type changed, as a one-byte edit would: Make from ASCII to RATIONAL."""
    tiff = content.index(b"MM\x00*")  # the seeds' EXIF is big-endian
    entry = content.index(struct.pack(">HH", tag, ASCII), tiff)
    edited = content[:entry] + struct.pack(">HH", tag, new_type) + content[entry + 4 :]
    return bytes(with_png_crcs(edited)) if edited.startswith(b"\x89PNG") else edited


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with(*segments, content=None):
    """A JPEG with these segments right after its SOI."""
    jpeg = content or with_metadata("JPEG")
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def jpeg_of_many_scans(count):
    """A small progressive JPEG whose last scan is repeated until it has `count` scans."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").save(buffer, "JPEG", progressive=True)
    jpeg = buffer.getvalue()
    last_scan = jpeg[jpeg.rindex(b"\xff\xda") : -2]
    return jpeg[:-2] + last_scan * (count - jpeg.count(b"\xff\xda")) + jpeg[-2:]


def png_with(chunks, after_idat=False):
    """The PNG seed with these chunks before its first IDAT, or just before IEND."""
    png = with_metadata("PNG")
    at = png.rindex(b"IEND") - 4 if after_idat else png.index(b"IDAT") - 4
    return png[:at] + chunks + png[at:]


def gif_with_extension(label, sub_blocks):
    """The GIF seed with one more extension of these sub-blocks before its first image."""
    gif = with_metadata("GIF")
    first_image = gif.rindex(b"\x2c", 0, gif.index(b"\x3b", len(gif) - 2))  # not an 0x2c within the XMP
    return gif[:first_image] + b"\x21" + bytes([label]) + sub_blocks + b"\x00" + gif[first_image:]


def gif_with_extension_past_the_end():
    """The GIF seed with a comment right after its colour table whose sub-block says 255 bytes, and 100 follow."""
    gif = with_metadata("GIF")
    colour_table_end = 13 + (3 << ((gif[10] & 7) + 1))
    return gif[:colour_table_end] + b"\x21\xfe\xff" + b"x" * 100


def riff(chunks):
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def webp_with(chunks, riff_size=None):
    """The WebP seed with these chunks added at its end, and its RIFF size made to match (or set)."""
    webp = riff(with_metadata("WEBP")[12:] + chunks)
    return webp if riff_size is None else webp[:4] + struct.pack("<I", riff_size) + webp[8:]


def with_box_size(content, kind, size):
    """An ISOBMFF file with its first top-level box of this type given another size."""
    start = next(contents - 8 for box, contents, _ in isobmff_boxes(content, 0, len(content)) if box == kind)
    return content[:start] + struct.pack(">I", size) + content[start + 4 :]


def heif_item_extent(content, item_type):
    """(id, offset, length) of the first item of this type in a HEIC seed, and its one extent."""
    meta = heif_meta_box(content)
    item = next(item_id for item_id, kind in heif_items(*meta, content).items() if kind == item_type)
    ((offset, length),) = heif_item_extents(*meta, content, {item})[item]
    return item, offset, length


def heif_with_exif_extent(offset=None, length=None):
    """The HEIC seed with its EXIF item's extent moved or resized: offset(heic) and length(heic) give the new ones."""
    heic = with_metadata("HEIF")
    item, start, size = heif_item_extent(heic, b"Exif")
    # pillow-heif writes item locations of 4-byte fields: id, data reference, base offset, 1 extent, offset, length.
    entry = heic.index(struct.pack(">HHIHII", item, 0, start, 1, 0, size))
    moved = struct.pack(">HHIHII", item, 0, offset(heic) if offset else start, 1, 0, length(heic) if length else size)
    return heic[:entry] + moved + heic[entry + len(moved) :]


def heif_with_billions_of_extents():
    """Item locations of 65535 items with 65535 extents each, the extents' fields of no bytes: 4 billion extents
    in 520 KB, each of which a loop would visit."""
    heic = with_metadata("HEIF")
    meta = heif_meta_box(heic)
    start, end = next((contents, box_end) for box, contents, box_end in isobmff_boxes(heic, *meta) if box == b"iloc")
    # Version 1, no flags; offsets, lengths and base offsets of 0 bytes; then the items.
    item = struct.pack(">HHHH", 1, 0, 0, 0xFFFF)  # id, construction method, data reference, extent count
    iloc = b"\x01\x00\x00\x00" + b"\x00\x00" + struct.pack(">H", 0xFFFF) + item * 0xFFFF
    box = struct.pack(">I", 8 + len(iloc)) + b"iloc" + iloc
    meta_start = meta[0] - 12
    grown = heic[: start - 8] + box + heic[end:]
    meta_size = struct.unpack_from(">I", heic, meta_start)[0] + len(box) - (end - start + 8)
    return grown[:meta_start] + struct.pack(">I", meta_size) + grown[meta_start + 4 :]


def empty_boxes(count):
    return b"\x00\x00\x00\x08free" * count


# name: (a function making the content, the status it gets, the stored Content-Type when accepted)
MALFORMED_METADATA = {
    # EXIF that Pillow cannot write back: dropped whole where the decoder can read the image, refused where not.
    "jpeg-exif-tag-retyped": (lambda: exif_tag_retyped(with_metadata("JPEG")), 201, "image/jpeg"),
    "png-exif-tag-retyped": (lambda: exif_tag_retyped(with_metadata("PNG")), 201, "image/png"),
    "webp-exif-tag-retyped": (lambda: exif_tag_retyped(with_metadata("WEBP")), 201, "image/webp"),
    "heic-exif-tag-retyped": (lambda: exif_tag_retyped(with_metadata("HEIF")), 201, "image/heic"),
    "avif-exif-tag-retyped": (lambda: exif_tag_retyped(with_metadata("AVIF")), 400, None),
    # Lengths that run past their container.
    "jpeg-segment-past-the-end": (lambda: jpeg_with(b"\xff\xe1\xff\xf0Exif\x00\x00"), 400, None),
    "png-chunk-past-the-end": (lambda: png_with(struct.pack(">I", 0x7FFF0000) + b"prIv" + b"x" * 100), 400, None),
    "gif-extension-past-the-end": (gif_with_extension_past_the_end, 400, None),
    "webp-chunk-past-the-riff": (lambda: webp_with(b"XMP " + struct.pack("<I", 1000) + b"x" * 10), 400, None),
    "webp-riff-past-the-end": (lambda: webp_with(b"", riff_size=100_000), 400, None),
    "avif-box-past-the-end": (lambda: with_box_size(with_metadata("AVIF"), b"meta", 100_000), 400, None),
    "heic-exif-item-past-the-end": (lambda: heif_with_exif_extent(length=len), 400, None),
    # EXIF items whose blanking in place would write over the image or the meta box (the fuzz test found the
    # stored copy of such a file broken).
    "heic-exif-item-over-the-image": (
        lambda: heif_with_exif_extent(offset=lambda heic: heif_item_extent(heic, b"hvc1")[1]),
        400,
        None,
    ),
    "heic-exif-item-in-the-meta-box": (lambda: heif_with_exif_extent(offset=lambda heic: 40), 400, None),
    # Two items of one number, the image's and XMP's: libheif reads the first, a rewrite could blank the image.
    "heic-two-items-of-one-number": (
        lambda: with_metadata("HEIF").replace(b"infe\x02\x00\x00\x01\x00\x03", b"infe\x02\x00\x00\x01\x00\x01"),
        400,
        None,
    ),
    "heic-billions-of-extents": (heif_with_billions_of_extents, 400, None),
    # More metadata than the limits allow.
    "jpeg-exif-over-64kb": (lambda: jpeg_with(*[jpeg_segment(0xE1, b"Exif\x00\x00" + b"\0" * 40_000)] * 2), 400, None),
    "jpeg-profile-over-1mb": (
        lambda: jpeg_with(*[jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x11" + b"\0" * 65_000)] * 17),
        400,
        None,
    ),
    "jpeg-xmp-over-8mb": (
        lambda: jpeg_with(*[jpeg_segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + b" " * 65_000)] * 130),
        400,
        None,
    ),
    "jpeg-4-million-empty-segments": (lambda: jpeg_with(b"\xff\xe5\x00\x02" * 4_000_000), 400, None),
    "jpeg-of-300-scans": (lambda: jpeg_of_many_scans(MAX_JPEG_SCANS + 44), 400, None),
    "png-exif-over-64kb": (lambda: png_with(png_chunk(b"eXIf", b"MM\x00*" + bytes(MAX_EXIF_BYTES))), 400, None),
    "png-2-million-private-chunks": (lambda: png_with(png_chunk(b"prIv", b"") * 2_000_000, True), 400, None),
    "gif-8-million-comment-sub-blocks": (lambda: gif_with_extension(0xFE, b"\x01x" * 8_000_000), 400, None),
    "webp-profile-over-1mb": (
        lambda: webp_with(b"ICCP" + struct.pack("<I", MAX_ICC_BYTES + 2) + bytes(MAX_ICC_BYTES + 2)),
        400,
        None,
    ),
    "webp-3-million-empty-chunks": (lambda: webp_with(b"unkn\x00\x00\x00\x00" * 3_000_000), 400, None),
    "webp-xmp-over-8mb": (
        lambda: webp_with(b"XMP " + struct.pack("<I", MAX_METADATA_BYTES) + bytes(MAX_METADATA_BYTES)),
        400,
        None,
    ),
    "avif-3-million-empty-boxes": (lambda: with_metadata("AVIF") + empty_boxes(3_000_000), 400, None),
    "heic-3-million-empty-boxes": (lambda: with_metadata("HEIF") + empty_boxes(3_000_000), 400, None),
}
