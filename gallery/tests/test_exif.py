"""Reading how a photo was taken from EXIF: each tag, each garbage value and each time offset, in generated files."""

import io
import struct
from datetime import datetime

import pillow_heif
import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from gallery.images import PhotoMetadata, metadata_of_file
from gallery.images.exif import metadata_from_bytes
from gallery.models import Photo
from gallery.tests.support import heic_bytes

TAGS = ExifTags.Base
CAMERA = {TAGS.Make: "Canon", TAGS.Model: "Canon EOS R6"}
EXPOSURE = {
    TAGS.DateTimeOriginal: "2019:06:01 21:00:05",
    TAGS.OffsetTimeOriginal: "+09:00",
    TAGS.SubsecTimeOriginal: "25",
    TAGS.LensModel: "RF24-105mm F4 L IS USM",
    TAGS.ExposureTime: IFDRational(1, 250),
    TAGS.FNumber: IFDRational(28, 10),
    TAGS.ISOSpeedRatings: 400,
    TAGS.FocalLength: IFDRational(35, 1),
}
EVERYTHING = PhotoMetadata(
    taken_at=datetime(2019, 6, 1, 21, 0, 5, 250000),
    taken_at_offset=540,
    camera_make="Canon",
    camera_model="Canon EOS R6",
    lens="RF24-105mm F4 L IS USM",
    exposure_time=0.004,
    f_number=2.8,
    iso=400,
    focal_length=35.0,
)


def exif_of(main=None, sub=None):
    """EXIF with these IFD0 tags and these Exif sub-IFD tags, as Pillow writes them (each value's type by its own)."""
    exif = Image.Exif()
    exif.update(main or {})
    exif.get_ifd(ExifTags.IFD.Exif).update(sub or {})
    return exif


def file_with(exif, image_format="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, image_format, exif=exif)
    buffer.seek(0)
    return buffer


def read(main=None, sub=None, image_format="JPEG"):
    return metadata_of_file(file_with(exif_of(main, sub), image_format))


def test_every_field_is_read():
    assert read(CAMERA, EXPOSURE) == EVERYTHING


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "AVIF", "HEIF"])
def test_every_format_with_exif_is_read(image_format):
    exif = exif_of(CAMERA, EXPOSURE)
    if image_format == "HEIF":
        file = io.BytesIO(heic_bytes(Image.new("RGB", (64, 48)), exif=exif.tobytes()))
    else:
        file = file_with(exif, image_format)

    assert metadata_of_file(file) == EVERYTHING


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [("+09:00", 540), ("-05:30", -330), ("+00:00", 0), ("-00:00", 0), ("+05:45", 345), ("+14:00", 840)]
    + [("-12:00", -720), ("+13:45\x00", 825)],
)
def test_time_offsets(offset, minutes):
    metadata = read(sub={TAGS.DateTimeOriginal: "2020:01:02 03:04:05", TAGS.OffsetTimeOriginal: offset})

    assert (metadata.taken_at, metadata.taken_at_offset) == (datetime(2020, 1, 2, 3, 4, 5), minutes)


@pytest.mark.parametrize(
    "offset",
    ["+15:00", "-12:30", "+09:60", "09:00", "+9:00", "+0900", "Z", "   :  ", "", "\x00\x00\x00\x00\x00\x00"]
    + [540, IFDRational(9, 1), b"+09:00\xff"],
)
def test_garbage_offsets_leave_the_time_without_one(offset):
    metadata = read(sub={TAGS.DateTimeOriginal: "2020:01:02 03:04:05", TAGS.OffsetTimeOriginal: offset})

    assert (metadata.taken_at, metadata.taken_at_offset) == (datetime(2020, 1, 2, 3, 4, 5), None)


GARBAGE_DATES = [
    "0000:00:00 00:00:00",
    "    :  :     :  :  ",
    "",
    "\x00" * 19,
    "2019:02:30 12:00:00",
    "2019:13:01 12:00:00",
    "2019:06:01 25:00:00",
    "2019:06:01 12:60:00",
    "1700:01:01 00:00:00",
    "2019:06:01",
    "yesterday at noon",
    "2019:06:01 12:00:00 and more",
    20190601,
    IFDRational(1, 3),
    b"\xff\xfe2019",
]


@pytest.mark.parametrize("garbage", GARBAGE_DATES)
def test_garbage_dates_are_ignored_and_the_rest_is_read(garbage):
    metadata = read(CAMERA, {TAGS.DateTimeOriginal: garbage, TAGS.OffsetTimeOriginal: "+09:00"})

    assert metadata.taken_at is None and metadata.taken_at_offset is None
    assert metadata.camera_model == "Canon EOS R6"


def test_digitized_date_with_its_own_offset_when_the_original_is_missing_or_garbage():
    digitized = {
        TAGS.DateTimeDigitized: "2018:12:31 23:59:59",
        TAGS.OffsetTimeDigitized: "-08:00",
        TAGS.SubsecTimeDigitized: "5",
        TAGS.OffsetTimeOriginal: "+01:00",  # the offset of the date that is not there
    }
    for original in ({}, {TAGS.DateTimeOriginal: "0000:00:00 00:00:00"}):
        metadata = read(sub={**digitized, **original})
        assert (metadata.taken_at, metadata.taken_at_offset) == (datetime(2018, 12, 31, 23, 59, 59, 500000), -480)


def test_original_date_is_preferred_and_ifd0_datetime_is_not_a_date_taken():
    both = {TAGS.DateTimeOriginal: "2017:05:05 10:00:00", TAGS.DateTimeDigitized: "2018:01:01 00:00:00"}
    assert read(sub=both).taken_at == datetime(2017, 5, 5, 10, 0)

    assert read({TAGS.DateTime: "2020:02:02 02:02:02"}).taken_at is None, "DateTime is when the file was changed"


def test_a_date_that_a_writer_put_in_ifd0_is_read():
    assert read({TAGS.DateTimeOriginal: "2016:08:08 08:08:08"}).taken_at == datetime(2016, 8, 8, 8, 8, 8)


@pytest.mark.parametrize(
    ("subsec", "microseconds"), [("123", 123000), ("5", 500000), ("1234567", 123456), ("abc", 0), ("", 0), (12, 0)]
)
def test_sub_seconds(subsec, microseconds):
    metadata = read(sub={TAGS.DateTimeOriginal: "2020:01:02 03:04:05", TAGS.SubsecTimeOriginal: subsec})

    assert metadata.taken_at == datetime(2020, 1, 2, 3, 4, 5, microseconds)


@pytest.mark.parametrize(
    ("tag", "garbage"),
    [
        (TAGS.ExposureTime, IFDRational(1, 0)),
        (TAGS.ExposureTime, IFDRational(0, 1)),
        (TAGS.ExposureTime, "1/250"),
        (TAGS.ExposureTime, IFDRational(10**9, 1)),
        (TAGS.FNumber, IFDRational(28, 0)),
        (TAGS.FNumber, IFDRational(1, 10)),
        (TAGS.ISOSpeedRatings, 0),
        (TAGS.ISOSpeedRatings, "400"),
        (TAGS.FocalLength, IFDRational(0, 1)),
        (TAGS.FocalLength, b"\x01\x02"),
        (TAGS.LensModel, ""),
        (TAGS.LensModel, "\x00\x00\x00"),
        (TAGS.LensModel, "L" * 101),
        (TAGS.LensModel, IFDRational(1, 2)),
        (TAGS.LensModel, b"\xc3\xa9t\xc3\xa9"),
    ],
)
def test_garbage_numbers_and_names_are_ignored_one_by_one(tag, garbage):
    field = {
        TAGS.ExposureTime: "exposure_time",
        TAGS.FNumber: "f_number",
        TAGS.ISOSpeedRatings: "iso",
        TAGS.FocalLength: "focal_length",
        TAGS.LensModel: "lens",
    }[tag]

    metadata = read(CAMERA, {**EXPOSURE, tag: garbage})

    assert getattr(metadata, field) is None
    assert metadata.taken_at == EVERYTHING.taken_at and metadata.camera_make == "Canon", "the rest is read"


@pytest.mark.parametrize("garbage", ["", "   ", "\x00\x00", "M" * 101])
def test_garbage_makes_and_models_are_ignored(garbage):
    metadata = read({TAGS.Make: garbage, TAGS.Model: "EOS R6"})

    assert (metadata.camera_make, metadata.camera_model) == (None, "EOS R6")


def tiff(entries):
    """A little-endian TIFF of one IFD holding (tag, type, count, value bytes) entries, values after the IFD."""
    ifd_size = 2 + 12 * len(entries) + 4
    head, data = [struct.pack("<H", len(entries))], b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            head.append(struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0"))
        else:
            head.append(struct.pack("<HHII", tag, kind, count, 8 + ifd_size + len(data)))
            data += value
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + b"".join(head) + b"\0\0\0\0" + data


ASCII, SHORT, LONG, RATIONAL = 2, 3, 4, 5


@pytest.mark.parametrize(
    "entry",
    [
        (TAGS.Make, RATIONAL, 1, struct.pack("<II", 3, 2)),  # a name written as a number
        (TAGS.Make, SHORT, 2, struct.pack("<HH", 67, 97)),
        (TAGS.DateTimeOriginal, LONG, 1, struct.pack("<I", 20190601)),
        (TAGS.ExposureTime, ASCII, 6, b"1/250\0"),
        (TAGS.ISOSpeedRatings, ASCII, 4, b"400\0"),
        (TAGS.FNumber, 99, 1, b"\x01\x02\x03\x04"),  # no such type
    ],
)
def test_tags_of_the_wrong_type_are_ignored(entry):
    exif = tiff([entry, (TAGS.Model, ASCII, 7, b"EOS R6\0")])

    metadata = metadata_of_file(file_with(exif))

    assert metadata == PhotoMetadata(camera_model="EOS R6")


def test_a_count_past_the_end_of_the_data_is_no_error():
    exif = tiff([(TAGS.Make, ASCII, 1000, b"Canon\0"), (TAGS.DateTimeOriginal, ASCII, 20, b"2019:06:01 21:00:05\0")])

    assert metadata_of_file(file_with(exif)).camera_make is None


def test_names_lose_control_characters_and_padding():
    metadata = read({TAGS.Make: "  NIKON\tCORPORATION  ", TAGS.Model: "NIKON D850\x07\x00"})

    assert (metadata.camera_make, metadata.camera_model) == ("NIKON CORPORATION", "NIKON D850")


def test_several_iso_values_give_the_first():
    assert read(sub={TAGS.ISOSpeedRatings: (800, 1600)}).iso == 800


@pytest.mark.parametrize(
    "data",
    [b"", b"Exif\x00\x00", b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff", b"II*\x00\xff\xff\xff\x7f", b"\x00" * 64],
)
def test_unreadable_exif_blocks_give_nothing(data):
    assert metadata_from_bytes(data) == PhotoMetadata()


def test_files_without_exif_or_not_images_give_nothing():
    assert metadata_of_file(file_with(Image.Exif(), "PNG")) == PhotoMetadata()
    assert metadata_of_file(io.BytesIO(b"not an image at all")) == PhotoMetadata()


@pytest.mark.django_db
@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "AVIF", "HEIF"])
def test_upload_stores_and_shows_what_exif_says_with_the_location_removed(upload, image_format):
    exif = exif_of(CAMERA, EXPOSURE)
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 41.0, 10.0)})
    if image_format == "HEIF":
        content = heic_bytes(Image.new("RGB", (64, 48)), exif=exif.tobytes())
    else:
        content = file_with(exif, image_format).getvalue()

    body = upload(content, name="IMG_0042.JPG").json()

    assert body["taken_at"] == "2019-06-01T21:00:05.250000+09:00"
    assert {key: body[key] for key in ("camera_make", "camera_model", "lens", "iso")} == {
        "camera_make": "Canon",
        "camera_model": "Canon EOS R6",
        "lens": "RF24-105mm F4 L IS USM",
        "iso": 400,
    }
    assert (body["exposure_time"], body["f_number"], body["focal_length"]) == (0.004, 2.8, 35.0)
    photo = Photo.objects.get(pk=body["id"])
    assert photo.original_filename == "IMG_0042.JPG" and photo.metadata_read
    with photo.image.open() as stored:
        assert metadata_of_file(stored) == EVERYTHING, "the stored original lost its GPS, not these"
        stored.seek(0)
        assert not exif_in(stored.read(), image_format).get_ifd(ExifTags.IFD.GPSInfo)


def exif_in(data, image_format):
    """The EXIF of a file's bytes, HEIC's too (which Pillow opens only with pillow-heif's opener registered)."""
    if image_format != "HEIF":
        return Image.open(io.BytesIO(data)).getexif()
    exif = Image.Exif()
    exif.load(pillow_heif.open_heif(io.BytesIO(data)).info["exif"])
    return exif


@pytest.mark.django_db
def test_upload_without_exif_has_nulls(upload):
    body = upload(file_with(Image.Exif(), "PNG").getvalue()).json()

    assert [body[key] for key in ("taken_at", "camera_make", "lens", "exposure_time", "iso")] == [None] * 5
