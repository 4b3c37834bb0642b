"""Detecting and decoding uploaded images from their bytes, never from the client's name or type.

Three depths, within the same decode budget (gallery.images.limits). detect_image, on the upload's request:
the header's format, size and pixel limits, what its EXIF says of how the photo was taken, and the cheapest
check that proves the data whole.
decode_image, in the job that makes the renditions: the pixels, reduced to about the display size.
check_header, when a direct upload completes: what a file's first bytes tell, before a job reads the rest.
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
from gallery.images.exif import PhotoMetadata, header_exif, metadata_from_bytes, metadata_from_exif, readable_exif
from gallery.images.formats import ACCEPTED_FORMATS, PILLOW_FORMATS, invalid_image, too_many_pixels
from gallery.images.isobmff import heif_rotation
from gallery.images.limits import HEIF_BYTES_PER_PIXEL, decode_bytes_per_pixel, pixel_limit
from gallery.images.metadata import check_metadata
from gallery.images.renditions import DISPLAY, ORIENTATION_TRANSPOSE, RENDITIONS, SWAPS_AXES, fit_within
from gallery.memory import one_image_at_a_time

# How many bytes of rows `reduced` copies at once.
REDUCE_BAND_BYTES = 8 * 1024 * 1024
# Pillow opens these by handing libwebp or libavif the whole file, so a file's first bytes tell only its format.
WHOLE_FILE_FORMATS = ("WEBP", "AVIF")


@dataclass(frozen=True)
class DetectedImage:
    """An uploaded file whose bytes are an accepted image, with what was learnt on the way.

    width and height are as the image is shown, its orientation applied. pixels, from decode_image only, are
    the decoded image, at least as large as the display rendition and less than twice it (or whole, when it
    is smaller), before `transpose` turns them upright. metadata is what the EXIF of its header says about how
    it was taken (read at upload, so the row has it from the start); checksum the SHA-256 (hex) of the bytes
    as uploaded, once gallery.uploads has computed it.
    """

    file: File
    format: str
    width: int
    height: int
    pixels: Image.Image | None = dataclasses.field(default=None, repr=False)
    transpose: Image.Transpose | None = None
    icc_profile: bytes | None = dataclasses.field(default=None, repr=False)
    metadata: PhotoMetadata = PhotoMetadata()
    checksum: str | None = None

    @property
    def content_type(self):
        return ACCEPTED_FORMATS[self.format][0]

    @property
    def extension(self):
        return ACCEPTED_FORMATS[self.format][1]


def detect_image(file, max_pixels=None):
    """Return a DetectedImage without pixels, or raise ValidationError saying what is wrong. Cheap: for an upload.

    The container and its metadata (gallery.images.metadata), the pixel count and the memory decoding would take
    are checked from the header; then the data is proved whole at the least cost for its format (see check_whole).
    The file itself is left as it is (gallery.images.location rewrites its metadata).
    """
    return read_image(file, max_pixels, decode=False)


def decode_image(file, max_pixels=None):
    """Return a DetectedImage with its pixels at about the display size, or raise ValidationError."""
    return read_image(file, max_pixels, decode=True)


def check_header(file, max_pixels=None):
    """Raise ValidationError unless the first bytes of a file (in `file`) are an accepted image's header within
    the pixel limits; a WebP's or AVIF's is known by its format alone. A direct upload's quick check: its job
    then reads the whole file (detect_image, decode_image)."""
    try:
        read_image(file, max_pixels, decode=False, whole=False)
    except ValidationError as error:
        if error.code != "invalid_image" or not needs_whole_file(file):
            raise


def needs_whole_file(file):
    """Whether the file starts as a WebP or AVIF does, which Pillow can open only whole."""
    Image.init()
    head = file.read(16)
    file.seek(0)
    return any(Image.OPEN[name][1](head) is True for name in WHOLE_FILE_FORMATS)


def read_image(file, max_pixels, decode, whole=True):
    """detect_image, and with decode=True decode_image: every error of the decoders on crafted data is a 400.

    whole=False (check_header) reads only the header: the container's walk and the wholeness check need the file.
    """
    with one_image_at_a_time:
        max_pixels = max_pixels or settings.GALLERY_MAX_PIXELS
        if not file.size:
            raise ValidationError("The submitted file is empty.", code="empty")
        if whole:
            check_metadata(file)
            file.seek(0)
        try:
            try:
                return read_with_pillow(file, max_pixels, decode, whole)
            except UnidentifiedImageError:
                file.seek(0)
                if not pillow_heif.is_supported(file):
                    raise
                return read_heif(file, max_pixels, decode)
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


def read_with_pillow(file, max_pixels, decode, whole):
    """A JPEG, PNG, GIF, WebP or AVIF (its first frame) through Pillow. A JPEG is decoded at the smallest scale
    the renditions allow."""
    with Image.open(file, formats=PILLOW_FORMATS) as image:
        width, height = image.size
        limit = pixel_limit(max_pixels, decode_bytes_per_pixel(image, file))
        if width * height > limit:
            raise too_many_pixels(limit, width, height)
        # Pillow calls a JPEG with more images after its end (phones' depth and gain maps) MPO;
        # it is a JPEG, and browsers show its first image.
        image_format = "JPEG" if image.format == "MPO" else image.format
        icc_profile = image.info.get("icc_profile")
        pixels = None
        if decode:
            display = fit_within(image.size, RENDITIONS[DISPLAY].box)
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when that is still as large as
            # the display size, for less time and memory.
            image.draft(image.mode, display)
            image.load()
            exif = readable_exif(image)
            pixels = shrunk(image, display)
        else:
            exif = header_exif(image)
            if whole:
                check_whole(image)
        transpose = orientation(exif)
        metadata = metadata_from_exif(exif)
    if transpose in SWAPS_AXES:
        width, height = height, width
    return DetectedImage(
        file=file,
        format=image_format,
        width=width,
        height=height,
        pixels=pixels,
        transpose=transpose,
        icc_profile=icc_profile,
        metadata=metadata,
    )


def orientation(exif):
    """How an image's EXIF (None: not read, or unreadable) says its pixels are turned to be shown upright (a
    Transpose), or None.

    A PNG may keep its EXIF after the pixels, where only decoding finds it (header_exif): detect_image leaves
    that to the job, which records the upright size it finds.
    """
    try:
        value = None if exif is None else exif.get(ExifTags.Base.Orientation)
    except Exception:  # Pillow's EXIF parser raises most kinds of error on crafted data
        return None
    return ORIENTATION_TRANSPOSE.get(value) if isinstance(value, int) else None


def check_whole(image):
    """Raise unless the opened image's data is whole, reading every byte at the least cost its format allows.

    JPEG: libjpeg decodes every byte at 1/8 scale (about 4.5 ms for 12 megapixels). PNG: every chunk's CRC,
    through IEND, without inflating the pixels. GIF: its first frame, decoded (LZW, cheap). WebP: opening
    already had libwebp's demuxer check the RIFF structure. AVIF and HEIC: check_metadata has walked their boxes
    to the file's end. What these checks cannot prove (a corrupt bitstream inside a whole container) fails the
    photo's job instead.
    """
    if image.format in {"JPEG", "MPO"}:
        image.draft(image.mode, (1, 1))
        image.load()
    elif image.format == "PNG":
        image.verify()
    elif image.format == "GIF":
        image.load()


def read_heif(file, max_pixels, decode):
    """A HEIC through pillow-heif (libheif); decoded, its rows are handed to Pillow a band at a time.

    libheif's RGB takes 3 bytes a pixel and Pillow's 4: copying the whole image into Pillow would hold both.
    libheif turns the image upright (HEIF's irot and imir), so EXIF's orientation is not applied; but a rotation
    alone is left out of the bytes it decodes and applied to the reduced pixels instead, since libheif would hold
    a rotated copy of the whole image (measured: 141 MB more for the 24 megapixels of an iPhone's portrait photo).
    """
    heif = pillow_heif.open_heif(file, convert_hdr_to_8bit=True)  # libheif's checks of the file as it is
    transpose = None
    if decode:
        content, transpose = without_rotation(file)
        if transpose is not None:
            heif = pillow_heif.open_heif(content, convert_hdr_to_8bit=True)
    width, height = heif.size
    limit = pixel_limit(max_pixels, HEIF_BYTES_PER_PIXEL)
    if width * height > limit:
        raise too_many_pixels(limit, width, height)
    pixels = None
    if decode:
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
        metadata=metadata_from_bytes(heif.info.get("exif")),
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
