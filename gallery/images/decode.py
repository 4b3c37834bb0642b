"""Detecting and decoding uploaded images from their bytes, never from the client's name or type.

Decoding is the check that the data is whole, within the decode budget (gallery.images.limits); the
decoded pixels, reduced to about the display size, are what the renditions are made from.
"""

import dataclasses
import math
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import ExifTags, Image, UnidentifiedImageError

from gallery.images.containers import file_contents
from gallery.images.formats import ACCEPTED_FORMATS, PILLOW_FORMATS, invalid_image, too_many_pixels
from gallery.images.isobmff import heif_rotation
from gallery.images.limits import HEIF_BYTES_PER_PIXEL, decode_bytes_per_pixel, pixel_limit
from gallery.images.metadata import check_metadata
from gallery.images.renditions import DISPLAY, ORIENTATION_TRANSPOSE, RENDITIONS, SWAPS_AXES, fit_within

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


def detect_image(file, max_pixels=None):
    """Decode `file` and return a DetectedImage, or raise ValidationError saying what is wrong.

    The container and its metadata (gallery.images.metadata), the pixel count and the memory decoding would take
    are checked before any pixel is decoded. The file itself is left as it is (gallery.images.location rewrites its
    metadata).
    """
    max_pixels = max_pixels or settings.GALLERY_MAX_PIXELS
    if not file.size:
        raise ValidationError("The submitted file is empty.", code="empty")
    check_metadata(file)
    file.seek(0)
    try:
        try:
            return decode_with_pillow(file, max_pixels)
        except UnidentifiedImageError:
            file.seek(0)
            if not pillow_heif.is_supported(file):
                raise
            return decode_heif(file, max_pixels)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        # Pillow's own guard, set to the same limit in GalleryConfig.ready(), refuses at twice it.
        raise too_many_pixels(max_pixels) from None
    except Exception as error:
        # Pillow's plugins and pillow-heif report damaged or crafted data with most kinds of error: OSError,
        # SyntaxError, ValueError or EOFError for truncated or corrupt data, AttributeError from EXIF whose tag
        # types were changed (Pillow's AVIF plugin writes EXIF back while it opens a file), IndexError from a HEIC
        # without a readable image. All are an image that cannot be accepted.
        raise invalid_image() from error
    finally:
        file.seek(0)


def decode_with_pillow(file, max_pixels):
    """Decode a JPEG, PNG, GIF, WebP or AVIF (its first frame) with Pillow.

    A JPEG is decoded at the smallest scale the renditions allow.
    """
    with Image.open(file, formats=PILLOW_FORMATS) as image:
        width, height = image.size
        limit = pixel_limit(max_pixels, decode_bytes_per_pixel(image, file))
        if width * height > limit:
            raise too_many_pixels(limit, width, height)
        display = fit_within(image.size, RENDITIONS[DISPLAY].box)
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when that is still as large as the
        # display size: every byte is still read, which is what proves the data whole, for less time and memory.
        image.draft(image.mode, display)
        image.load()
        transpose = upright_transpose(image)
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


def upright_transpose(image):
    """How an opened Pillow image is turned to be shown upright by its EXIF orientation; None when it has none, or
    EXIF that Pillow cannot read (which the location removal drops, so the stored copy has none either)."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # Pillow's EXIF parser raises most kinds of error on crafted data
        return None
    return ORIENTATION_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None


def decode_heif(file, max_pixels):
    """Decode a HEIC with pillow-heif (libheif), handing its rows to Pillow a band at a time.

    libheif's RGB takes 3 bytes a pixel and Pillow's 4: copying the whole image into Pillow would hold both.
    libheif turns the image upright (HEIF's irot and imir), so EXIF's orientation is not applied; but a rotation
    alone is left out of the bytes it decodes and applied to the reduced pixels instead, since libheif would hold
    a rotated copy of the whole image (measured: 141 MB more for the 24 megapixels of an iPhone's portrait photo).
    """
    heif = pillow_heif.open_heif(file, convert_hdr_to_8bit=True)  # libheif's checks of the file as it is
    content, transpose = without_rotation(file)
    if transpose is not None:
        heif = pillow_heif.open_heif(content, convert_hdr_to_8bit=True)
    width, height = heif.size
    limit = pixel_limit(max_pixels, HEIF_BYTES_PER_PIXEL)
    if width * height > limit:
        raise too_many_pixels(limit, width, height)
    data, mode, stride = memoryview(heif.data), heif.mode, heif.stride

    def rows(top, count):
        return Image.frombuffer(
            mode, (width, count), data[top * stride : (top + count) * stride], "raw", mode, stride, 1
        )

    pixels = reduced(rows, heif.size, mode, fit_within(heif.size, RENDITIONS[DISPLAY].box))
    if transpose in SWAPS_AXES:
        width, height = height, width
    return DetectedImage(
        file=file,
        format="HEIF",
        width=width,
        height=height,
        pixels=pixels,
        transpose=transpose,
        icc_profile=heif.info.get("icc_profile"),
    )


# How pixels are turned upright by HEIF's quarter turns anticlockwise (irot).
QUARTER_TURNS = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}


def without_rotation(file):
    """(The HEIC's bytes with its rotation set to none, the transpose that turns its pixels upright), or (file, None)
    when it has no rotation that can be taken out."""
    with file_contents(file) as data:
        rotation = heif_rotation(data)
        if rotation is None:
            return file, None
        offsets, turns = rotation
        pieces, position = [], 0
        for offset in offsets:
            pieces += [data[position:offset], bytes([data[offset] & 0xFC])]
            position = offset + 1
        return b"".join([*pieces, data[position:]]), QUARTER_TURNS[turns]


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
