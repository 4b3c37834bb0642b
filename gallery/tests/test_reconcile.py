"""reconcile_storage: orphaned objects and photos without their object, in a private prefix of the real bucket."""

import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import override_settings

from gallery.models import Photo, rendition_key
from gallery.tests.support import distinct_image_bytes, free_port, image_bytes, processed_photo, storages_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def location():
    """The photo storage moved under a prefix of its own (AWS_LOCATION), so --delete can touch no other object."""
    prefix = f"reconcile-{uuid.uuid4().hex}"
    with override_settings(STORAGES=storages_with(location=prefix)):
        yield prefix
        for summary in default_storage.bucket.objects.filter(Prefix=f"{prefix}/"):
            summary.delete()


def keys_under(prefix):
    return {summary.key for summary in default_storage.bucket.objects.filter(Prefix=f"{prefix}/")}


def reconcile(*args):
    """Run the command; return (its output, the CommandError it ended with or None)."""
    out = io.StringIO()
    try:
        call_command("reconcile_storage", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


@pytest.fixture
def photos(location, upload):
    """Two photos uploaded through the API and processed, as their jobs do it."""
    return [processed_photo(upload(distinct_image_bytes(), title=title).json()["id"]) for title in ("one", "two")]


@pytest.fixture
def orphan(location):
    """An object under photos/ that no row refers to, as a worker killed between the two writes leaves."""
    return default_storage.save("photos/orphan.jpg", ContentFile(image_bytes(), name="orphan.jpg"))


def test_consistent_storage_reports_nothing(photos):
    output, error = reconcile()

    assert error is None
    assert output.splitlines() == [
        "Summary: 8 objects under photos/, 2 photos; 0 orphaned objects (0 younger than 3600 s), 0 deleted (dry run); "
        "0 photos missing 0 objects"
    ]


def test_dry_run_reports_orphans_and_missing_objects_and_deletes_nothing(location, photos, orphan):
    default_storage.delete(photos[1].image.name)
    before = keys_under(location)

    output, error = reconcile("--min-age", "0")

    lines = output.splitlines()
    assert lines[0].startswith(f"orphan {orphan} (") and lines[0].endswith("s old): would be deleted by --delete")
    missing = photos[1].image.name
    assert lines[1] == f"missing {missing}: photo {photos[1].pk} refers to it, but the bucket has no such object"
    assert "1 orphaned object (0 younger than 0 s), 0 deleted (dry run); 1 photo missing 1 object" in lines[2]
    assert error.returncode == 1
    assert str(error) == "1 photo missing 1 object, 1 orphaned object older than 0 s left"
    assert keys_under(location) == before
    assert Photo.objects.count() == 2, "rows whose object is missing are reported, not deleted"


def test_a_missing_rendition_is_reported_and_a_rendition_of_no_photo_is_an_orphan(location, photos):
    thumbnail = rendition_key(photos[0].image.name, "thumbnail")
    default_storage.delete(thumbnail)
    stray = default_storage.save(rendition_key("photos/gone.jpg", "display"), ContentFile(b"RIFF....WEBP"))

    output, error = reconcile("--min-age", "0")

    assert f"missing {thumbnail}: photo {photos[0].pk} refers to it, but the bucket has no such object" in output
    assert f"orphan {stray} (" in output
    assert str(error) == "1 photo missing 1 object, 1 orphaned object older than 0 s left"


def test_a_photo_missing_all_its_objects_counts_as_one_photo_and_four_objects(location, photos):
    for name in photos[0].object_keys():
        default_storage.delete(name)

    output, error = reconcile()

    assert sum(line.startswith("missing ") for line in output.splitlines()) == 4
    assert output.splitlines()[-1].startswith("Summary: 4 objects under photos/, 2 photos; 0 orphaned objects")
    assert output.splitlines()[-1].endswith("; 1 photo missing 4 objects")
    assert str(error) == "1 photo missing 4 objects"


def test_default_minimum_age_keeps_a_fresh_orphan_even_with_delete(location, photos, orphan):
    before = keys_under(location)

    output, error = reconcile("--delete")

    assert error is None, "a fresh orphan may be an upload in flight: nothing to report as a problem"
    assert f"orphan {orphan} (" in output and "kept, younger than 3600 s" in output
    assert "1 orphaned object (1 younger than 3600 s), 0 deleted;" in output
    assert keys_under(location) == before


def test_delete_with_a_small_minimum_age_removes_only_the_orphan(location, photos, orphan):
    outside = default_storage.save("elsewhere/notes.txt", ContentFile(b"not a photo"))
    before = keys_under(location)

    output, error = reconcile("--delete", "--min-age", "0")

    assert error is None
    assert f"orphan {orphan} (" in output and output.splitlines()[0].endswith(": deleted")
    assert "1 orphaned object (0 younger than 0 s), 1 deleted;" in output
    assert keys_under(location) == before - {f"{location}/{orphan}"}
    assert all(default_storage.exists(photo.image.name) for photo in photos)
    assert default_storage.exists(outside)
    again, error = reconcile("--min-age", "0")
    assert error is None and "; 0 orphaned objects" in again


def test_unreachable_storage_is_a_one_line_error(photos):
    with override_settings(STORAGES=storages_with(endpoint_url=f"http://127.0.0.1:{free_port()}")):
        output, error = reconcile()

    assert output == ""
    assert str(error).startswith("The photo storage is unavailable (Could not connect to the endpoint URL")
    assert str(error).endswith("); try again later.") and "\n" not in str(error)


def test_negative_minimum_age_is_refused():
    assert str(reconcile("--min-age", "-1")[1]) == "--min-age must be 0 or more"


def test_a_photo_being_processed_lacks_nothing_and_its_job_s_renditions_are_no_orphans(location, upload):
    photo = Photo.objects.get(pk=upload(image_bytes()).json()["id"])
    # Its job has stored one rendition so far.
    default_storage.save(rendition_key(photo.image.name, "display"), ContentFile(b"half-way", name="display.webp"))

    output, error = reconcile("--min-age", "0")

    assert error is None
    assert output.splitlines() == [
        "Summary: 2 objects under photos/, 1 photo; 0 orphaned objects (0 younger than 0 s), 0 deleted (dry run); "
        "0 photos missing 0 objects"
    ]
