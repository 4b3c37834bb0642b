"""Renditions: the thumbnail, grid and display sizes a photo's job makes, fetched back from the real S3 as browsers
get them.

The job's work (process_photo) runs here in the test; test_jobs.py runs it on a real worker.
"""

import io

import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import ExifTags, Image, ImageCms

from gallery.images import RENDITIONS, decode_image
from gallery.models import Photo, rendition_key
from gallery.tests.support import heic_bytes, image_bytes, processed_photo, stored_keys

pytestmark = pytest.mark.django_db

RED, GREEN = (220, 20, 20), (20, 200, 20)


def two_colours(size=(600, 400), mode="RGB"):
    """An image whose left half is green and right half red: which way up it is shows in its renditions."""
    image = Image.new(mode, size, RED)
    image.paste(GREEN, (0, 0, size[0] // 2, size[1]))
    return image


def palette_image(size=(300, 200), transparent=True):
    """A palette image of colour 1, red, which its PNG says is transparent unless `transparent` is false."""
    image = Image.new("P", size, 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    if transparent:
        image.info["transparency"] = 1
    return image


def encoded(image, image_format, **options):
    if image_format == "HEIF":
        return heic_bytes(image, **options)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def fetch(url):
    """GET a pre-signed URL from the bucket; return (the decoded image, the response)."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return Image.open(io.BytesIO(response.content)), response


@pytest.fixture
def processed(api):
    """The API's photo for an upload's response, once the photo's job has made its renditions."""

    def get(response):
        assert response.status_code == 201, response.content
        processed_photo(response.json()["id"])
        return api.get(f"/api/photos/{response.json()['id']}").json()

    return get


def near(colour, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIF"])
def test_every_format_gets_webp_thumbnail_grid_and_display_sizes_in_the_bucket(upload, processed, bucket, image_format):
    content = encoded(two_colours((2000, 1000)), image_format)

    body = processed(upload(content, name=f"wide.{image_format.lower()}"))

    photo = Photo.objects.get(pk=body["id"])
    assert photo.is_ready
    assert (
        stored_keys() - bucket
        == set(photo.object_keys())
        == {
            photo.image.name,
            rendition_key(photo.image.name, "thumbnail"),
            rendition_key(photo.image.name, "grid"),
            rendition_key(photo.image.name, "display"),
        }
    )
    for name, size in (("thumbnail", (400, 200)), ("grid", (800, 400)), ("display", (1600, 800))):
        image, fetched = fetch(body[f"{name}_url"])
        assert fetched.headers["Content-Type"] == "image/webp" and image.format == "WEBP"
        assert image.size == size
        assert "immutable" in fetched.headers["Cache-Control"]
        assert near(image.convert("RGB").getpixel((size[0] // 4, size[1] // 2)), GREEN)
        assert near(image.convert("RGB").getpixel((3 * size[0] // 4, size[1] // 2)), RED)
    assert requests.get(body["photo_url"], timeout=10).content == content, "the original is kept as uploaded"


def test_heic_is_stored_as_uploaded_and_shown_through_its_renditions(upload, processed, bucket):
    content = heic_bytes(two_colours())

    body = processed(upload(content, name="IMG_0001.HEIC"))

    photo = Photo.objects.get(pk=body["id"])
    assert (photo.content_type, photo.width, photo.height) == ("image/heic", 600, 400)
    assert photo.image.name.endswith(".heic")
    fetched = requests.get(body["photo_url"], timeout=10)
    assert fetched.headers["Content-Type"] == "image/heic" and fetched.content == content
    thumbnail, _ = fetch(body["thumbnail_url"])
    assert thumbnail.size == (400, 267)


@pytest.mark.parametrize("image_format", ["JPEG", "HEIF"])
def test_renditions_are_turned_upright_by_the_exif_orientation(upload, processed, image_format):
    """A HEIC is turned by its rotation property (irot), which pillow-heif writes from the EXIF orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # turn 90 degrees clockwise to show it
    if image_format == "HEIF":
        content = heic_bytes(two_colours(), exif=exif.tobytes())
        assert b"irot" in content
    else:
        content = encoded(two_colours(), "JPEG", exif=exif)

    body = processed(upload(content))

    assert (body["width"], body["height"]) == (400, 600), "the size it is shown at"
    for name in ("thumbnail", "display"):
        image, _ = fetch(body[f"{name}_url"])
        image = image.convert("RGB")
        assert image.height > image.width
        assert near(image.getpixel((image.width // 2, image.height // 4)), GREEN), "the left half is now on top"
        assert near(image.getpixel((image.width // 2, 3 * image.height // 4)), RED)
        assert "exif" not in image.info and not image.getexif(), "renditions carry no metadata"


def test_renditions_carry_no_metadata_but_the_colour_profile(upload, processed):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phonemaker"
    content = encoded(two_colours(), "JPEG", exif=exif, icc_profile=profile)

    body = processed(upload(content))

    for name in ("thumbnail", "display"):
        image, fetched = fetch(body[f"{name}_url"])
        assert image.info.get("icc_profile") == profile
        assert not image.getexif() and "xmp" not in image.info
        assert b"Phonemaker" not in fetched.content


def test_a_cmyk_profile_is_not_carried_into_rgb_renditions(upload, processed):
    cmyk = Image.new("CMYK", (64, 48), (0, 60, 120, 10))
    # Any profile whose header names CMYK; the gallery only reads its colour space.
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[16:20] = b"CMYK"

    body = processed(upload(encoded(cmyk, "JPEG", icc_profile=bytes(profile))))

    image, _ = fetch(body["thumbnail_url"])
    assert image.mode == "RGB" and "icc_profile" not in image.info


@pytest.mark.parametrize(
    ("image", "expected_mode", "pixel"),
    [
        (Image.new("RGBA", (300, 200), (0, 0, 255, 0)), "RGBA", 0),
        (palette_image(), "RGBA", 0),
        (palette_image((3300, 2000), transparent=False), "RGB", (255, 0, 0)),
        (Image.new("I;16", (300, 200), 40_000), "RGB", (156, 156, 156)),
        (Image.new("LA", (300, 200), (90, 128)), "RGBA", (90, 90, 90, 128)),
        (Image.new("1", (300, 200), 1), "RGB", (255, 255, 255)),
    ],
    ids=["transparent-rgba", "palette-transparency", "large-palette", "16-bit-grey", "grey-alpha", "bilevel"],
)
def test_modes_are_rendered_as_browsers_show_them(upload, processed, image, expected_mode, pixel):
    body = processed(upload(encoded(image, "PNG", **image.info)))

    thumbnail, _ = fetch(body["thumbnail_url"])
    assert thumbnail.mode == expected_mode
    value = thumbnail.getpixel((150, 100))
    if pixel == 0:
        assert value[3] == 0, "transparent stays transparent"
    else:
        assert near(value, pixel, tolerance=4)


def test_a_12_megapixel_jpeg_is_decoded_at_half_scale_for_its_renditions():
    content = image_bytes("JPEG", (4000, 3000))

    image = decode_image(SimpleUploadedFile("big.jpg", content))

    assert (image.width, image.height) == (4000, 3000)
    assert image.pixels.size == (2000, 1500), "libjpeg's DCT scaling, not a full decode"


def test_a_large_png_is_reduced_to_less_than_twice_the_display_size():
    image = decode_image(SimpleUploadedFile("big.png", image_bytes("PNG", (7000, 3100), mode="RGBA")))

    assert image.pixels.size == (1750, 775), "reduced by 4, still at least 1600 x 709"


@override_settings(GALLERY_TRASH_DAYS=0)  # deleting is final at once (test_library_actions.py has the trash's purge)
def test_deleting_a_photo_deletes_its_renditions(api, upload, bucket, django_capture_on_commit_callbacks):
    photo = processed_photo(upload(image_bytes()).json()["id"])
    assert len(stored_keys() - bucket) == 4

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/photos/{photo.pk}")

    assert response.status_code == 204
    assert stored_keys() == bucket


def test_renditions_sizes_are_those_the_pages_declare(upload, processed):
    body = processed(upload(image_bytes("JPEG", (1234, 567))))
    photo = Photo.objects.get(pk=body["id"])

    for name, spec in RENDITIONS.items():
        image, _ = fetch(body[f"{name}_url"])
        rendition = photo.renditions[name]
        assert image.size == (rendition.width, rendition.height)
        assert max(image.size) == min(spec.box, 1234)


def test_an_iphone_heic_of_24_megapixels_is_accepted_and_a_larger_one_is_not():
    def flat_heic(size):
        return heic_bytes(Image.new("RGB", size, (90, 120, 150)))

    accepted = decode_image(SimpleUploadedFile("IMG_0001.HEIC", flat_heic((5712, 4284))))
    assert (accepted.format, accepted.width, accepted.height) == ("HEIF", 5712, 4284)
    assert accepted.pixels.size == (1904, 1428), "reduced by 3 a band of rows at a time"

    with pytest.raises(ValidationError) as refused:
        decode_image(SimpleUploadedFile("IMG_0002.HEIC", flat_heic((5760, 4320))))
    assert refused.value.messages == ["This image has 5760 x 4320 pixels; the limit is 24.6 million pixels."]
