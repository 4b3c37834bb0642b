"""make_renditions: the renditions of photos stored before there were any, made from their originals in the real S3."""

import io

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import override_settings
from PIL import ExifTags, Image

from gallery.models import Photo, new_photo_key, rendition_key
from gallery.tests.support import free_port, image_bytes, storages_with, stored_keys

pytestmark = pytest.mark.django_db


def older_photo(owner, content, width, height, extension="jpg"):
    """A photo as an upload before renditions stored it: its original in the bucket, a row without renditions."""
    name = default_storage.save(new_photo_key(extension), ContentFile(content))
    return Photo.objects.create(
        image=name, width=width, height=height, size=len(content), content_type="image/jpeg", owner=owner
    )


def make_renditions(*args):
    """Run the command; return (its output, its error output, the CommandError it ended with or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("make_renditions", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_makes_the_missing_renditions_then_has_nothing_left_to_do(alice, upload, bucket, capsys):
    older = [older_photo(alice, image_bytes("JPEG", (900, 600 + n)), 900, 600 + n) for n in range(3)]
    recent = Photo.objects.get(pk=upload(image_bytes()).json()["id"])
    recent_objects = {key: default_storage.size(key) for key in recent.object_keys()}

    output, _, error = make_renditions()

    assert error is None
    assert output.splitlines() == ["Summary: 4 photos have renditions; 0 could not be made."]
    assert "3/3" in capsys.readouterr().err, "a progress bar over the three photos that had none"
    for photo in older:
        photo.refresh_from_db()
        assert photo.has_renditions
        thumbnail = photo.renditions["thumbnail"]
        fetched = Image.open(io.BytesIO(requests.get(thumbnail.url, timeout=10).content))
        assert (fetched.format, fetched.size) == ("WEBP", (thumbnail.width, thumbnail.height))
        assert thumbnail.width == 400
    assert {key: default_storage.size(key) for key in recent.object_keys()} == recent_objects, "already made: untouched"
    keys = stored_keys()
    assert keys - bucket == {key for photo in [*older, recent] for key in photo.object_keys()}

    again, _, error = make_renditions()
    assert error is None and again == output
    assert stored_keys() == keys


def test_an_older_photo_turned_by_its_exif_gets_the_size_it_is_shown_at(alice, bucket):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600)).save(buffer, "JPEG", exif=exif)
    photo = older_photo(alice, buffer.getvalue(), 900, 600)

    make_renditions()

    photo.refresh_from_db()
    assert (photo.width, photo.height) == (600, 900)
    assert photo.renditions["display"].height == 900


def test_missing_and_broken_originals_are_listed_and_skipped_until_they_are_fixed(alice, bucket):
    good = older_photo(alice, image_bytes(), 64, 48)
    missing = Photo.objects.create(image="photos/gone.jpg", width=1, height=1, size=1, content_type="image/jpeg")
    broken = older_photo(alice, b"these bytes were never an image", 64, 48)

    output, errors, error = make_renditions()

    assert error.returncode == 1 and str(error) == "2 photos have no renditions"
    assert errors.splitlines() == [
        f"photo {missing.pk}: its original photos/gone.jpg is not in the bucket",
        f"photo {broken.pk}: its original {broken.image.name} cannot be used: Upload a valid image: "
        "JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged.",
    ]
    assert output == "Summary: 1 photos have renditions; 2 could not be made.\n"
    assert [p.has_renditions for p in Photo.objects.order_by("pk")] == [True, False, False]
    assert rendition_key(good.image.name, "display") in stored_keys()

    default_storage.save(missing.image.name, ContentFile(image_bytes()))
    _, errors, error = make_renditions()
    assert len(errors.splitlines()) == 1 and errors.startswith(f"photo {broken.pk}: ")
    assert Photo.objects.get(pk=missing.pk).has_renditions


def test_s3_unavailable_stops_the_command_and_a_second_run_goes_on(alice, bucket):
    photos = [older_photo(alice, image_bytes(), 64, 48) for _ in range(2)]

    with override_settings(STORAGES=storages_with(endpoint_url=f"http://127.0.0.1:{free_port()}")):
        _, _, error = make_renditions()

    assert str(error).startswith("The photo storage is unavailable; try again later. Photos done so far are kept")
    assert not Photo.objects.filter(has_renditions=True).exists()
    assert make_renditions()[2] is None
    assert all(Photo.objects.get(pk=photo.pk).has_renditions for photo in photos)
