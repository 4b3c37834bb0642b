"""The library's jobs on real job workers: the trash's periodic purge, and the metadata of older photos."""

import io
import os
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image
from procrastinate.contrib.django.models import ProcrastinateJob

from gallery.jobs.library import EXTRACT_METADATA_TASK
from gallery.library.backfill import Outcome, extract_metadata
from gallery.models import Photo
from gallery.tests.support import (
    current_database_url,
    photo_exif,
    start_worker,
    stop_worker,
    stored_keys,
    stored_photo,
    wait_until,
)

PURGE_TASK = "gallery.jobs.library.purge_trash"
TAKEN = datetime(2024, 7, 14, 18, 30, 5)  # photo_exif's date taken


def phone_jpeg(colour):
    """A JPEG with a phone's EXIF (camera, date taken, location), of its own colour so that its bytes are its own."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG", exif=photo_exif())
    return buffer.getvalue()


def never_read(photo, **fields):
    """Make `photo` look stored before its metadata was read at upload."""
    empty = {"taken_at": None, "camera_make": None, "camera_model": None, "checksum": None, "metadata_read": False}
    Photo.all_objects.filter(pk=photo.pk).update(**{**empty, **fields})


@pytest.fixture
def purging_worker(worker):
    """A job worker of its own that purges the trash every 2 s, of what has been there over 1 day."""
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "SECRET_KEY": "test-only",
        "LOG_LEVEL": "WARNING",
        "GALLERY_TRASH_DAYS": "1",
        "GALLERY_TRASH_PURGE_CRON": "* * * * * */2",
    }
    process = start_worker(env)
    yield process
    stop_worker(process)


def test_a_worker_purges_what_has_been_in_the_trash_longer_than_the_setting(alice, bucket, purging_worker):
    expired, recent, kept = (stored_photo(alice, f"{name}.jpg") for name in ("expired", "recent", "kept"))
    now = timezone.now()
    Photo.all_objects.filter(pk=expired.pk).update(trashed_at=now - timedelta(days=1, minutes=5))
    Photo.all_objects.filter(pk=recent.pk).update(trashed_at=now - timedelta(hours=23))
    expired_keys = set(expired.owned_keys())
    assert expired_keys <= stored_keys()

    wait_until(lambda: not Photo.all_objects.filter(pk=expired.pk).exists(), "the expired photo's deletion")
    wait_until(lambda: not expired_keys & stored_keys(), "its objects' deletion after the commit")

    assert set(Photo.all_objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}, "under a day, or not trashed"
    assert set(recent.owned_keys()) | set(kept.owned_keys()) <= stored_keys() - bucket
    purges = ProcrastinateJob.objects.filter(task_name=PURGE_TASK, status="succeeded")
    assert purges.exists(), "a periodic job did it"
    assert purging_worker.poll() is None


def test_extract_metadata_queues_a_job_per_photo_and_follows_them_with_a_progress_bar(alice, worker, capsys):
    photo = stored_photo(alice, "old.jpg", phone_jpeg((200, 80, 40)))
    never_read(photo)
    trashed = stored_photo(alice, "trashed.jpg", phone_jpeg((40, 80, 200)))
    never_read(trashed, trashed_at=timezone.now())
    corrected = stored_photo(alice, "corrected.jpg", phone_jpeg((80, 200, 40)))
    never_read(corrected, taken_at=datetime(2001, 1, 1), taken_at_corrected=True)

    call_command("extract_metadata", "--wait")

    out, err = capsys.readouterr()
    assert "Queued 3 photos (0 were queued already)." in out
    assert "Summary: 3 of 3 photos read, 0 duplicates, 0 failed." in out and "photo/s" in err
    for row in Photo.all_objects.all():
        assert (row.camera_make, row.camera_model, row.metadata_read) == ("Phonemaker", "Phone 12", True)
        assert row.checksum is not None
        assert row.taken_at == (datetime(2001, 1, 1) if row.pk == corrected.pk else TAKEN), "a correction stays"
    assert ProcrastinateJob.objects.filter(task_name=EXTRACT_METADATA_TASK, status="succeeded").count() == 3
    call_command("extract_metadata")
    assert "Queued 0 photos (0 were queued already)." in capsys.readouterr().out, "done once, nothing left"


def test_extract_metadata_reports_missing_originals_and_duplicates(alice, worker, capsys):
    first, second = stored_photo(alice), stored_photo(alice)
    never_read(second, image=first.image.name)
    gone = stored_photo(alice)
    gone.image.storage.delete(gone.image.name)
    never_read(gone)

    with pytest.raises(CommandError) as raised:
        call_command("extract_metadata", "--wait")

    out, err = capsys.readouterr()
    assert raised.value.returncode == 1
    assert f"photo {gone.pk}: its original {gone.image.name} is not in the bucket" in err
    assert f"photo {second.pk}: its owner has another photo of the same bytes" in out
    assert "Summary: 1 of 2 photos read, 1 duplicates, 1 failed." in out
    assert Photo.all_objects.get(pk=second.pk).checksum is None and Photo.all_objects.get(pk=second.pk).metadata_read
    assert not Photo.all_objects.get(pk=gone.pk).metadata_read
    assert extract_metadata(999999) == Outcome.GONE
