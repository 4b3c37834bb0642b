"""Privacy: where a photo was taken never leaves the site unless GALLERY_KEEP_LOCATION says it may."""

import io

import pillow_heif
import pytest
import requests
from django.test import override_settings
from PIL import ExifTags, Image

from gallery.models import Photo
from gallery.tests.support import heic_bytes, photo_exif
from gallery.tests.support.malformed import exif_tag_retyped
from gallery.tests.support.seeds import with_metadata

pytestmark = pytest.mark.django_db

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4933N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def phone_photo(image_format):
    """A noisy photo with the EXIF a phone writes, GPS included, and an XMP packet with the position again."""
    image = Image.effect_noise((320, 240), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, image_format, exif=photo_exif(), xmp=XMP)
    return buffer.getvalue()


def fetched(body):
    """The stored original, fetched as a client would, through the pre-signed photo_url."""
    response = requests.get(body["photo_url"], timeout=10)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_stored_original_has_no_location_but_keeps_the_rest(upload, image_format):
    content = phone_photo(image_format)
    assert ExifTags.IFD.GPSInfo in Image.open(io.BytesIO(content)).getexif()

    body = upload(content, name="IMG_0001.bin").json()
    stored = fetched(body)

    image = Image.open(io.BytesIO(stored.content))
    exif = image.getexif()
    assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPSLatitude" not in stored.content, "no XMP copy of the position either"
    assert exif[ExifTags.Base.Orientation] == 6
    assert (exif[ExifTags.Base.Make], exif[ExifTags.Base.Model]) == ("Phonemaker", "Phone 12")
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2024:07:14 18:30:05"
    assert image.tobytes() == Image.open(io.BytesIO(content)).tobytes(), "the pixels are untouched"
    photo = Photo.objects.get(pk=body["id"])
    assert photo.size == len(stored.content) < len(content)
    assert image.size == (320, 240)
    assert (photo.width, photo.height) == (240, 320), "as shown: turned upright by its orientation"
    assert stored.headers["Content-Type"] == photo.content_type == Image.MIME[image_format]


def test_jpeg_scan_data_is_copied_byte_for_byte(upload):
    content = phone_photo("JPEG")

    stored = fetched(upload(content).json()).content

    scan = content.index(b"\xff\xda")
    assert stored[stored.index(b"\xff\xda") :] == content[scan:]


@override_settings(GALLERY_KEEP_LOCATION=True)
def test_location_is_kept_when_allowed(upload):
    content = phone_photo("JPEG")

    stored = fetched(upload(content).json()).content

    assert stored == content
    gps = Image.open(io.BytesIO(stored)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_photo_without_location_is_stored_as_sent(upload):
    image = Image.effect_noise((64, 48), 60).convert("RGB")
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 3
    image.save(buffer, "JPEG", exif=exif)
    content = buffer.getvalue()

    assert fetched(upload(content).json()).content == content


def test_mpo_extra_images_go_with_the_location(upload):
    """A phone's MPO (a JPEG followed by more images, each with EXIF) is stored as its first image alone."""
    first, second = (Image.effect_noise((64, 48), 60).convert("RGB") for _ in range(2))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second], exif=photo_exif())
    content = buffer.getvalue()

    body = upload(content).json()
    stored = fetched(body).content

    image = Image.open(io.BytesIO(stored))
    assert body["content_type"] == "image/jpeg" and image.format == "JPEG"
    assert ExifTags.IFD.GPSInfo not in image.getexif() and stored.count(b"\xff\xd8") == 1
    assert image.tobytes() == Image.open(io.BytesIO(content)).tobytes()


@pytest.mark.parametrize("image_format", ["HEIF", "AVIF"])
def test_heic_and_avif_lose_their_location_in_place(upload, image_format):
    """Their EXIF and XMP are items of the container: blanked at the same length, so nothing else moves."""
    image = Image.effect_noise((320, 240), 60).convert("RGB")
    if image_format == "HEIF":
        content = heic_bytes(image, exif=photo_exif().tobytes(), xmp=XMP)
    else:
        buffer = io.BytesIO()
        image.save(buffer, "AVIF", exif=photo_exif(), xmp=XMP)
        content = buffer.getvalue()

    stored = fetched(upload(content, name="IMG_0001.bin").json()).content

    assert len(stored) == len(content) and stored != content
    assert b"GPSLatitude" not in stored, "no XMP copy of the position either"
    if image_format == "HEIF":
        before, after = pillow_heif.open_heif(io.BytesIO(content)), pillow_heif.open_heif(io.BytesIO(stored))
        exif = Image.Exif()
        exif.load(after.info["exif"])
        assert after.data == before.data, "the pixels are untouched"
    else:
        before, after = Image.open(io.BytesIO(content)), Image.open(io.BytesIO(stored))
        exif = after.getexif()
        assert after.tobytes() == before.tobytes(), "the pixels are untouched"
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert (exif[ExifTags.Base.Make], exif[ExifTags.Base.Model]) == ("Phonemaker", "Phone 12")
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2024:07:14 18:30:05"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_exif_that_cannot_be_written_back_is_dropped_whole(upload, image_format):
    """One byte changes the Make tag's type from ASCII to RATIONAL: Pillow still reads the image, but cannot write
    that EXIF again without its GPS, so none of it is kept (a HEIC's is blanked in place). An AVIF gets 400:
    Pillow's AVIF plugin cannot open it (gallery.tests.support.malformed)."""
    content = exif_tag_retyped(with_metadata(image_format))

    response = upload(content, name="IMG_0001.bin")

    assert response.status_code == 201, response.content
    stored = fetched(response.json()).content
    if image_format == "HEIF":
        assert len(stored) == len(content)
        exif = Image.Exif()
        exif.load(pillow_heif.open_heif(io.BytesIO(stored)).info["exif"])
    else:
        exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPSLatitude" not in stored, "nor the XMP copy of the position"
