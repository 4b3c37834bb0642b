"""Detect, validate and render uploaded images, from their bytes, never from the client's name or type.

Checking an image decodes it, and the decoded pixels make its renditions (a thumbnail and a display
size, in WebP). Also removes the location an image's metadata records (see without_location), losslessly.
"""

import dataclasses
import io
import math
import mmap
import re
import struct
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import ExifTags, Image, UnidentifiedImageError

# Format name (Pillow's, or HEIF for pillow-heif's) -> (Content-Type stored with the object, extension of its key).
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
    "AVIF": ("image/avif", "avif"),
    "HEIF": ("image/heic", "heic"),
}
ACCEPTED_NAMES = "JPEG, PNG, GIF, WebP, HEIC or AVIF"
# What a file input may offer: browsers know HEIC by its extension more often than by its type.
ACCEPTED_FILE_TYPES = ",".join([*(content_type for content_type, _ in ACCEPTED_FORMATS.values()), ".heic", ".heif"])
# Pillow decodes these itself; HEIC goes through pillow-heif (libheif), which Pillow does not know.
PILLOW_FORMATS = [name for name in ACCEPTED_FORMATS if name != "HEIF"]

# What validating one image may cost in memory, so that a worker stays under 300 MB (it idles at
# about 95 MB, keeps up to 15 MB more between uploads (see gunicorn.conf.py), and holds the request's
# other buffers and the renditions, some 20 MB, at its peak). Above it an image is
# refused from its header, whatever GALLERY_MAX_PIXELS allows: a decoder that must hold every
# pixel (PNG, GIF, WebP, AVIF, HEIC) or every DCT coefficient (progressive or multi-scan JPEG)
# gets a lower pixel limit (decode_bytes_per_pixel), proved by the worker memory test.
DECODE_BUDGET_BYTES = 150_000_000
# Pillow's in-memory bytes per pixel, by image mode; the other modes take four.
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Measured with Pillow 13: libwebp's animation decoder (the only one Pillow uses) keeps two
# RGBA canvases, then Pillow copies the frame to bytes and again into the image.
WEBP_BYTES_PER_PIXEL = 16
# Measured with Pillow 13 (libavif 1.4, dav1d): 9.5 to 9.9, for the YUV planes, libavif's RGB and Pillow's copy.
AVIF_BYTES_PER_PIXEL = 10
# Measured with pillow-heif 1.8 (libheif 1.23): 4.9 for a phone's 512-pixel tiles, 6.1 for one whole
# HEVC image, while libheif decodes to RGB; decode_heif never copies all of it into Pillow. This lets
# an iPhone's 24-megapixel photo (5712 x 4284) through and refuses its 48-megapixel "HEIF Max".
HEIF_BYTES_PER_PIXEL = 6.1


@dataclass(frozen=True)
class RenditionSpec:
    """How one rendition is made: the square it fits in, the resampling filter, WebP's quality and effort."""

    box: int
    resample: Image.Resampling
    quality: int
    method: int  # libwebp's effort, 0 (fastest) to 6


# The display size is made from the decoded image, the thumbnail from the display size. Their filters and
# efforts were chosen by measurement (BENCHMARKS.md): the display size is on an upload's critical path,
# the thumbnail is made beside it and is what a gallery page downloads fifty of.
DISPLAY, THUMBNAIL = "display", "thumbnail"
RENDITIONS = {
    DISPLAY: RenditionSpec(box=1600, resample=Image.Resampling.HAMMING, quality=80, method=0),
    THUMBNAIL: RenditionSpec(box=400, resample=Image.Resampling.LANCZOS, quality=80, method=4),
}
RENDITION_CONTENT_TYPE, RENDITION_EXTENSION = "image/webp", "webp"
# The thumbnail is resized and encoded here while the request's thread encodes the display size (Pillow
# releases the GIL while it works). Started on first use, so each gunicorn worker gets its own after the fork.
THUMBNAIL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbnail")
# How the pixels of an image with this EXIF orientation are turned to be shown upright (as ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SWAPS_AXES = {
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_270,
}
# How many bytes of rows `reduced` copies at once.
REDUCE_BAND_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class DetectedImage:
    """An uploaded file whose bytes decoded as an accepted image, with what was learnt on the way.

    width and height are as the image is shown, its orientation applied. pixels are the decoded image,
    at least as large as the display rendition and less than twice it (or whole, when it is smaller),
    before `transpose` turns them upright.
    """

    file: File
    format: str
    width: int
    height: int
    pixels: Image.Image = dataclasses.field(repr=False)
    transpose: Image.Transpose | None = None
    icc_profile: bytes | None = dataclasses.field(default=None, repr=False)

    @property
    def content_type(self):
        return ACCEPTED_FORMATS[self.format][0]

    @property
    def extension(self):
        return ACCEPTED_FORMATS[self.format][1]


def fit_within(size, box):
    """(width, height) scaled down to fit a box x box square, keeping the aspect ratio; never scaled up."""
    width, height = size
    longest = max(width, height)
    if longest <= box:
        return width, height
    return max(1, round(width * box / longest)), max(1, round(height * box / longest))


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
        try:
            detected = decode_with_pillow(file, max_pixels)
        except UnidentifiedImageError:
            file.seek(0)
            if not pillow_heif.is_supported(file):
                raise
            detected = decode_heif(file, max_pixels)
    except Image.DecompressionBombError:
        # Pillow's own guard, set to the same limit in GalleryConfig.ready(), refuses at twice it.
        raise too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, RuntimeError, struct.error) as error:
        # Pillow and libheif report truncated or corrupt data with any of these, and oversized PNG text with ValueError.
        raise invalid_image() from error
    finally:
        file.seek(0)
    return detected if keep_location else without_location(detected)


def decode_with_pillow(file, max_pixels):
    """Decode a JPEG, PNG, GIF, WebP or AVIF (its first frame) with Pillow.

    A JPEG is decoded at the smallest scale the renditions allow.
    """
    with Image.open(file, formats=PILLOW_FORMATS) as image:
        width, height = image.size
        bytes_per_pixel = decode_bytes_per_pixel(image, file)
        limit = min(max_pixels, int(DECODE_BUDGET_BYTES // bytes_per_pixel)) if bytes_per_pixel else max_pixels
        if width * height > limit:
            raise too_many_pixels(limit, width, height)
        display = fit_within(image.size, RENDITIONS[DISPLAY].box)
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when that is still as large as the
        # display size: every byte is still read, which is what proves the data whole, for less time and memory.
        image.draft(image.mode, display)
        image.load()
        transpose = ORIENTATION_TRANSPOSE.get(image.getexif().get(ExifTags.Base.Orientation))
        # Pillow calls a JPEG with more images after its end (phones' depth and gain maps) MPO;
        # it is a JPEG, and browsers show its first image.
        image_format = "JPEG" if image.format == "MPO" else image.format
        pixels = shrunk(image, display)
    if transpose in SWAPS_AXES:
        width, height = height, width
    return DetectedImage(
        file=file,
        format=image_format,
        width=width,
        height=height,
        pixels=pixels,
        transpose=transpose,
        icc_profile=image.info.get("icc_profile"),
    )


def decode_heif(file, max_pixels):
    """Decode a HEIC with pillow-heif (libheif), handing its rows to Pillow a band at a time.

    libheif's RGB takes 3 bytes a pixel and Pillow's 4: copying the whole image into Pillow would hold both.
    libheif has already turned the image upright (HEIF's irot and imir), so EXIF's orientation is not applied.
    """
    heif = pillow_heif.open_heif(file, convert_hdr_to_8bit=True)
    width, height = heif.size
    limit = min(max_pixels, int(DECODE_BUDGET_BYTES // HEIF_BYTES_PER_PIXEL))
    if width * height > limit:
        raise too_many_pixels(limit, width, height)
    data, mode, stride = memoryview(heif.data), heif.mode, heif.stride

    def rows(top, count):
        return Image.frombuffer(
            mode, (width, count), data[top * stride : (top + count) * stride], "raw", mode, stride, 1
        )

    pixels = reduced(rows, heif.size, mode, fit_within(heif.size, RENDITIONS[DISPLAY].box))
    return DetectedImage(
        file=file, format="HEIF", width=width, height=height, pixels=pixels, icc_profile=heif.info.get("icc_profile")
    )


def shrunk(image, target):
    """A copy of a loaded Pillow image at least as large as `target` and less than twice it (or whole, when smaller)."""
    if reduction_factor(image.size, target) == 1:
        return image.copy()
    smaller = reduced(lambda top, count: image.crop((0, top, image.width, top + count)), image.size, image.mode, target)
    if image.palette is not None:  # a palette image's bands were pasted as indices into the palette
        smaller.putpalette(image.getpalette())
    smaller.info = image.info.copy()  # its transparency, for one
    return smaller


def reduced(rows, size, mode, target):
    """An image of `size` reduced by the largest whole factor that keeps it as large as `target`, made from
    rows(top, count), a Pillow image of those rows, a band at a time.

    Pillow's reduce() averages boxes of pixels: cheap, and a fair first step of any larger reduction. Given a
    whole RGBA image it would copy all of it, premultiplying by alpha; band by band, each copy stays small.
    """
    width, height = size
    factor = reduction_factor(size, target)
    result = Image.new(mode, (math.ceil(width / factor), math.ceil(height / factor)))
    band = factor * max(1, REDUCE_BAND_BYTES // (4 * width * factor))
    for top in range(0, height, band):
        count = min(band, height - top)
        result.paste(reduced_band(rows(top, count), factor), (0, top // factor))
    return result


def reduction_factor(size, target):
    """The largest whole factor that shrinks `size` to no less than `target`."""
    return max(1, min(size[0] // target[0], size[1] // target[1]))


def reduced_band(image, factor):
    """image.reduce(factor), also in the modes reduce() does not take: for them Pillow resizes by nearest neighbour."""
    if image.mode in {"1", "P"} or image.mode.startswith("I;16"):
        size = (math.ceil(image.width / factor), math.ceil(image.height / factor))
        return image.resize(size, Image.Resampling.NEAREST)
    return image.reduce(factor)


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
    if image.format == "AVIF":
        return AVIF_BYTES_PER_PIXEL
    if image.format not in {"JPEG", "MPO"}:
        return MODE_BYTES.get(image.mode, 4)
    with _contents(file) as data:
        scans = sum(marker == 0xDA for marker, _, _ in jpeg_segments(data, whole=True))
    if scans <= 1:
        return 0  # One scan is decoded a row of blocks at a time, into an image no larger than twice the display size.
    # libjpeg keeps every component's DCT coefficients, two bytes each, until the last scan; then the decoded
    # image, which for an image this large is drafted at 1/2 scale or less: 4 bytes a pixel, a quarter of them.
    h_max = max(h for _, h, _, _ in image.layer)
    v_max = max(v for _, _, v, _ in image.layer)
    return 2 * sum(h * v for _, h, v, _ in image.layer) / (h_max * v_max) + 1


# --- Renditions ----------------------------------------------------------------------------


def render(image):
    """Yield (name, WebP bytes) of each rendition of a DetectedImage: the display size, then the thumbnail.

    Each is upright, in RGB (RGBA when the image has transparency) and carries no metadata, only the
    original's colour profile when it describes the pixels' RGB (a phone's Display P3, say). The image's
    pixels are released once both are made.
    """
    try:
        yield from _renditions(image)
    finally:
        # A request's objects refer to one another, so the image would wait for Python's cycle collector:
        # tens of megabytes that a worker kept through its next upload, when its memory peaks.
        image.pixels.close()


def _renditions(image):
    icc_profile = image.icc_profile if _profile_applies(image) else None
    shown = (image.width, image.height)

    def webp(picture, name):
        buffer = io.BytesIO()
        spec = RENDITIONS[name]
        picture.save(buffer, "WEBP", quality=spec.quality, method=spec.method, icc_profile=icc_profile)
        return buffer.getvalue()

    width, height = fit_within(shown, RENDITIONS[DISPLAY].box)
    # The box is square: the pixels, before they are turned upright, fit it turned the other way.
    size = (height, width) if image.transpose in SWAPS_AXES else (width, height)
    display = image.pixels
    if display.size != size:
        display = display.resize(size, RENDITIONS[DISPLAY].resample)
    display = viewable(display)
    if image.transpose is not None:
        display = display.transpose(image.transpose)
    spec = RENDITIONS[THUMBNAIL]
    thumbnail = THUMBNAIL_THREAD.submit(
        lambda: webp(display.resize(fit_within(shown, spec.box), spec.resample, reducing_gap=2.0), THUMBNAIL)
    )
    yield DISPLAY, webp(display, DISPLAY)
    yield THUMBNAIL, thumbnail.result()


def viewable(image):
    """The image in RGB, or RGBA when it has transparency: what WebP holds and browsers show."""
    if image.mode.startswith("I") or image.mode == "F":
        # 16- and 32-bit greys: Pillow's conversion to 8 bits clips instead of scaling.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    mode = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _profile_applies(image):
    """Whether the image's ICC profile describes RGB values (its header names the colour space at bytes 16 to 20)
    and the pixels hold such values, so that the renditions can keep it."""
    profile = image.icc_profile or b""
    return profile[16:20] == b"RGB " and image.pixels.mode in {"RGB", "RGBA", "RGBX", "P", "PA"}


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
# application extension is left as it is. HEIC and AVIF keep EXIF and XMP as items of their
# container: those are rewritten in place, at the same length, so no offset in the file changes.

GPS_IFD = ExifTags.IFD.GPSInfo
EXIF_PREFIX = b"Exif\x00\x00"
XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
COPY_BLOCK = 1024 * 1024


def without_location(image):
    """Return `image` with a file whose metadata records no location, or `image` when it has none to remove.

    The copy keeps the pixels' bytes and other EXIF (orientation, camera, time taken). A rendition step
    can call it too. Raises ValidationError if the metadata cannot be read.
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


# An XMP packet that says nothing; the rest of a removed packet's length is whitespace, which XMP allows as padding.
EMPTY_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    b'<?xpacket end="w"?>',
)
# A big-endian TIFF header and an IFD0 with no entries: EXIF that says nothing.
EMPTY_TIFF = b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"


def _isobmff_boxes(data, start, end):
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


def _uint(data, position, size):
    return int.from_bytes(data[position : position + size], "big")


def _heif_metadata_items(meta_start, meta_end, data):
    """{item id: "exif" or "xmp"} from the meta box's item information (iinf)."""
    items = {}
    for kind, start, end in _isobmff_boxes(data, meta_start, meta_end):
        if kind != b"iinf":
            continue
        first_entry = start + 4 + (2 if data[start] == 0 else 4)  # version and flags, then the entry count
        for entry, entry_start, entry_end in _isobmff_boxes(data, first_entry, end):
            version = data[entry_start]
            if entry != b"infe" or version < 2:
                continue
            id_size = 2 if version == 2 else 4
            item_id = _uint(data, entry_start + 4, id_size)
            type_at = entry_start + 4 + id_size + 2  # after the protection index
            item_type = bytes(data[type_at : type_at + 4])
            # Then the item's name, and for a mime item its content type, both ending in NUL.
            strings = bytes(data[type_at + 4 : entry_end]).split(b"\0")
            if item_type == b"Exif":
                items[item_id] = "exif"
            elif item_type == b"mime" and strings[1:2] == [b"application/rdf+xml"]:
                items[item_id] = "xmp"
    return items


def _heif_item_extents(meta_start, meta_end, data, wanted):
    """{item id: [(file offset, length), ...]} for the wanted items, from the meta box's item locations (iloc)."""
    boxes = {kind: (start, end) for kind, start, end in _isobmff_boxes(data, meta_start, meta_end)}
    if b"iloc" not in boxes:
        raise ValueError("no item locations")
    position, _ = boxes[b"iloc"]
    version = data[position]
    offset_size, length_size = data[position + 4] >> 4, data[position + 4] & 15
    base_offset_size, index_size = data[position + 5] >> 4, (data[position + 5] & 15 if version in (1, 2) else 0)
    id_size = 4 if version == 2 else 2
    count, position = _uint(data, position + 6, id_size), position + 6 + id_size
    extents = {}
    for _ in range(count):
        item_id, position = _uint(data, position, id_size), position + id_size
        method = 0
        if version in (1, 2):
            method, position = _uint(data, position, 2) & 15, position + 2
        base, position = _uint(data, position + 2, base_offset_size), position + 2 + base_offset_size
        extent_count, position = _uint(data, position, 2), position + 2
        item = []
        for _ in range(extent_count):
            position += index_size
            offset, position = _uint(data, position, offset_size), position + offset_size
            length, position = _uint(data, position, length_size), position + length_size
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


def _heif_pieces(data):
    """The HEIC or AVIF with its EXIF items' GPS and its XMP items blanked in place, or None when there are none."""
    meta = next(((start, end) for kind, start, end in _isobmff_boxes(data, 0, len(data)) if kind == b"meta"), None)
    if meta is None:
        return None
    meta_start, meta_end = meta[0] + 4, meta[1]  # a full box: version and flags first
    items = _heif_metadata_items(meta_start, meta_end, data)
    replacements = []
    for item_id, extents in _heif_item_extents(meta_start, meta_end, data, items).items():
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
    tiff_at = 4 + _uint(payload, 0, 4)
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
