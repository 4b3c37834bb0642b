"""What EXIF says about how a photo was taken: when (local wall-clock time, and its UTC offset when known), the
camera and lens, and the exposure.

Values are read as cameras write them and as strangers' files garble them: placeholders ("0000:00:00 00:00:00",
blanks, NULs), impossible dates, values of the wrong type, zero denominators and absurd numbers are ignored one
by one, never an error; a field nothing usable was found for is None.
"""

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pillow_heif
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image, UnidentifiedImageError

from gallery.images.formats import PILLOW_FORMATS
from gallery.images.metadata import check_metadata

TAGS = ExifTags.Base
# The longest make, model or lens name kept (cameras write a few dozen characters); anything longer is garbage.
TEXT_MAX_LENGTH = 100
# Dates before photography are a camera's reset clock or garbage.
EARLIEST_YEAR = 1826
# UTC offsets run from -12:00 to +14:00.
OFFSET_RANGE_MINUTES = (-12 * 60, 14 * 60)
DATE = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
# What Pillow raises on EXIF it cannot parse: most kinds of error on crafted data (the metadata fuzz test found
# AttributeError and IndexError besides ValueError, TypeError, KeyError, struct.error and OSError). Any is EXIF
# that says nothing, never a refusal.
EXIF_ERRORS = Exception
# (date tag, its offset tag, its sub-seconds tag), in the order they are tried.
DATE_TAGS = (
    (TAGS.DateTimeOriginal, TAGS.OffsetTimeOriginal, TAGS.SubsecTimeOriginal),
    (TAGS.DateTimeDigitized, TAGS.OffsetTimeDigitized, TAGS.SubsecTimeDigitized),
)


@dataclass(frozen=True)
class PhotoMetadata:
    """How a photo was taken, as far as its EXIF says. taken_at is naive: the wall-clock time where it was taken;
    taken_at_offset is that clock's UTC offset in minutes, when known. Times are in seconds, lengths in mm."""

    taken_at: datetime | None = None
    taken_at_offset: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None


def header_exif(image):
    """An opened Pillow image's EXIF as far as its header holds it, without decoding a pixel; None for a PNG
    whose EXIF, if any, follows its pixels (Pillow would decode them all to find it; cameras do not write PNG)."""
    if image.format == "PNG" and "exif" not in image.info:
        return None
    return readable_exif(image)


def readable_exif(image):
    """An opened Pillow image's EXIF (image.getexif()), or None when Pillow cannot read it."""
    try:
        return image.getexif()
    except EXIF_ERRORS:
        return None


def metadata_from_exif(exif):
    """The PhotoMetadata of a Pillow Image.Exif (IFD0, with the Exif sub-IFD where most of it lives); empty for
    None."""
    if exif is None:
        return PhotoMetadata()
    try:
        main = dict(exif)
        sub = dict(exif.get_ifd(ExifTags.IFD.Exif))
    except EXIF_ERRORS:
        return PhotoMetadata()

    def tag(number):  # the Exif sub-IFD's value, or IFD0's where a writer put it there
        return sub.get(number, main.get(number))

    taken_at, offset = None, None
    for date_tag, offset_tag, subsec_tag in DATE_TAGS:
        taken_at = parse_date(tag(date_tag), tag(subsec_tag))
        if taken_at is not None:
            offset = parse_offset(tag(offset_tag))
            break
    iso = number(tag(TAGS.ISOSpeedRatings), 1, 10_000_000)
    return PhotoMetadata(
        taken_at=taken_at,
        taken_at_offset=offset,
        camera_make=text(main.get(TAGS.Make)),
        camera_model=text(main.get(TAGS.Model)),
        lens=text(tag(TAGS.LensModel)),
        exposure_time=number(tag(TAGS.ExposureTime), 1e-6, 24 * 3600),
        f_number=number(tag(TAGS.FNumber), 0.5, 1000),
        iso=None if iso is None else round(iso),
        focal_length=number(tag(TAGS.FocalLength), 0.1, 10_000),
    )


def metadata_from_bytes(data):
    """The PhotoMetadata of raw EXIF (a TIFF structure, with or without the "Exif\\0\\0" prefix); empty for None."""
    if not data:
        return PhotoMetadata()
    exif = Image.Exif()
    try:
        exif.load(bytes(data))
    except EXIF_ERRORS:
        return PhotoMetadata()
    return metadata_from_exif(exif)


def metadata_of_file(file):
    """The PhotoMetadata of an image file of an accepted format, from its header alone (no pixel is decoded); empty
    when its container is malformed or carries more metadata than the limits allow (gallery.images.metadata), which
    are checked before Pillow or libheif reads it."""
    try:
        check_metadata(file)
    except ValidationError:
        return PhotoMetadata()
    file.seek(0)
    try:
        try:
            with Image.open(file, formats=PILLOW_FORMATS) as image:
                return metadata_from_exif(header_exif(image))
        except UnidentifiedImageError:
            file.seek(0)
            return metadata_from_bytes(pillow_heif.open_heif(file).info.get("exif"))
    except EXIF_ERRORS:  # Image.DecompressionBombError and libheif's RuntimeError too
        return PhotoMetadata()
    finally:
        file.seek(0)


def printable(value):
    """`value` without format characters (right-to-left overrides...), control characters (NUL, tab...) as spaces,
    and its whitespace collapsed."""
    visible = "".join(" " if category == "Cc" else ch for ch in value if (category := unicodedata.category(ch)) != "Cf")
    return " ".join(visible.split())


def text(value, max_length=TEXT_MAX_LENGTH):
    """An EXIF string made readable, or None for anything else, blank or overlong."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    value = printable(value)
    return value if value and len(value) <= max_length else None


def parse_date(value, subsec=None):
    """A naive datetime from EXIF's "YYYY:MM:DD HH:MM:SS" and its sub-seconds' digits, or None if it is not one."""
    value = text(value)
    match = value and DATE.fullmatch(value)
    if not match:
        return None
    try:
        taken_at = datetime(*map(int, match.groups()))
    except ValueError:  # 0000:00:00, 2019:02:30, 25:00:00 ...
        return None
    if taken_at.year < EARLIEST_YEAR:
        return None
    digits = text(subsec)
    if digits and digits.isascii() and digits.isdigit():
        taken_at = taken_at.replace(microsecond=int(digits[:6].ljust(6, "0")))
    return taken_at


def parse_offset(value):
    """Minutes east of UTC from "+09:00" or "-05:30", or None if it is not a real offset."""
    value = text(value)
    match = value and OFFSET.fullmatch(value)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    if int(minutes) >= 60:
        return None
    offset = (int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1)
    low, high = OFFSET_RANGE_MINUTES
    return offset if low <= offset <= high else None


def number(value, low, high):
    """A finite number within [low, high] from an EXIF integer or rational (the first of several), else None."""
    if isinstance(value, tuple) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        result = float(value)
    except (ArithmeticError, ValueError):
        return None
    return result if math.isfinite(result) and low <= result <= high else None
