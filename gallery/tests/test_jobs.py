"""Photos' jobs on a real job worker (the Procfile's worker process) against the suite's PostgreSQL and S3."""

import io

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction
from PIL import ExifTags, Image
from procrastinate.contrib.django.models import ProcrastinateJob

from gallery.jobs.photos import PROCESS_PHOTO_TASK, defer_processing, mark_failed, process_photo
from gallery.models import Photo, PhotoState, new_photo_key, rendition_key
from gallery.tests.support import image_bytes, png_chunk, stored_keys, stored_photo, wait_until

INVALID_IMAGE = "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."


def jobs_of(photo_or_id):
    """(status, attempts) of each job queued for this photo, oldest first; a finished job counts its own run."""
    photo_id = getattr(photo_or_id, "pk", photo_or_id)
    jobs = ProcrastinateJob.objects.filter(task_name=PROCESS_PHOTO_TASK, args__photo_id=photo_id).order_by("id")
    return [(job.status, job.attempts) for job in jobs]


def finished(photo_id):
    """The photo once it is no longer processing."""
    return wait_until(lambda: Photo.objects.exclude(state=PhotoState.PROCESSING).filter(pk=photo_id).first(), "end")


def broken_png(size=(300, 200)):
    """A PNG whose chunks are whole (right lengths and CRCs) but whose pixel data is not zlib: only decoding tells."""
    signature_and_header = image_bytes("PNG", size)[:33]
    return signature_and_header + png_chunk(b"IDAT", b"\x78\x9c" + bytes(range(256)) * 8) + png_chunk(b"IEND", b"")


@pytest.mark.usefixtures("worker")
def test_an_upload_answers_processing_then_a_worker_makes_both_renditions(upload, bucket):
    response = upload(image_bytes("JPEG", (2000, 1000)))

    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["processing_error"], body["thumbnail_url"], body["display_url"]) == (
        "processing",
        "",
        None,
        None,
    )
    assert requests.get(body["photo_url"], timeout=10).status_code == 200, "the original is there at once"

    photo = finished(body["id"])

    assert photo.state == PhotoState.READY and photo.processing_error == ""
    assert stored_keys() - bucket == set(photo.object_keys()) == {photo.image.name, *photo.rendition_keys()}
    for name, size in (("thumbnail", (400, 200)), ("display", (1600, 800))):
        fetched = requests.get(photo.renditions[name].url, timeout=10)
        assert Image.open(io.BytesIO(fetched.content)).size == size
    assert jobs_of(photo) == [("succeeded", 1)], "one job, run once"


@pytest.mark.usefixtures("worker")
def test_the_api_shows_the_state_and_the_rendition_urls_once_ready(api, upload):
    photo_id = upload(image_bytes()).json()["id"]
    finished(photo_id)

    body = api.get(f"/api/photos/{photo_id}").json()

    assert body["state"] == "ready" and body["processing_error"] == ""
    assert ".thumbnail.webp?" in body["thumbnail_url"] and ".display.webp?" in body["display_url"]


def test_the_quick_check_passes_a_png_whose_pixels_do_not_decode(upload):
    response = upload(broken_png(), name="broken.png")

    assert response.status_code == 201, "its chunks are whole; what is inside them is the job's to find"


def test_an_undecodable_file_ends_failed_with_the_reason_and_the_worker_goes_on(worker, upload, api, bucket):
    broken = upload(broken_png(), name="broken.png").json()

    photo = finished(broken["id"])

    assert (photo.state, photo.processing_error) == (PhotoState.FAILED, INVALID_IMAGE)
    wait_until(lambda: jobs_of(photo) == [("failed", 1)], "failed job, not retried: retrying cannot make it decode")
    assert stored_keys() - bucket == {photo.image.name}, "no rendition, the original kept"
    body = api.get(f"/api/photos/{photo.pk}").json()
    assert (body["state"], body["processing_error"], body["thumbnail_url"]) == ("failed", INVALID_IMAGE, None)
    assert worker.poll() is None, "the worker is still running"
    assert finished(upload(image_bytes()).json()["id"]).state == PhotoState.READY


@pytest.mark.usefixtures("worker")
def test_a_photo_deleted_before_its_job_runs_leaves_nothing(api, upload, bucket, alice):
    with transaction.atomic():
        photo = stored_photo(alice, processed=False)
        photo_id = photo.pk
        photo.delete()

    wait_until(lambda: jobs_of(photo_id) == [("succeeded", 1)], "job")
    assert stored_keys() == bucket


def test_a_rolled_back_upload_leaves_no_job(alice, bucket, transactional_db):
    with pytest.raises(RuntimeError), transaction.atomic():
        photo = stored_photo(alice, processed=False)
        assert jobs_of(photo) == [("todo", 0)]
        raise RuntimeError("the request fails after the row")

    assert jobs_of(photo) == [] and not Photo.objects.exists()


def test_running_a_photos_job_twice_leaves_the_same_objects_and_row(alice, bucket, db):
    photo = stored_photo(alice, content=image_bytes("PNG", (900, 700)), processed=False)
    process_photo(photo.pk)
    first = Photo.objects.filter(pk=photo.pk).values().get()
    objects = {key: default_storage.open(key).read() for key in stored_keys() - bucket}

    process_photo(photo.pk)

    assert Photo.objects.filter(pk=photo.pk).values().get() == first
    assert {key: default_storage.open(key).read() for key in stored_keys() - bucket} == objects
    assert set(objects) == {
        photo.image.name,
        rendition_key(photo.image.name, "thumbnail"),
        rendition_key(photo.image.name, "grid"),
        rendition_key(photo.image.name, "display"),
    }


def test_the_admin_retries_failed_photos(worker, client, make_user, alice):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    failed = stored_photo(alice, "retried.jpg", processed=False)
    wait_until(lambda: jobs_of(failed) == [("succeeded", 1)], "first job")
    mark_failed(failed.pk, "The photo storage is unavailable; try again later.")

    listed = client.get("/admin/gallery/photo/", {"state__exact": "failed"}).text
    page = client.get(f"/admin/gallery/photo/{failed.pk}/change/").text
    response = client.post(
        "/admin/gallery/photo/", {"action": "retry_processing", "_selected_action": [failed.pk]}, follow=True
    )

    assert "retried" in listed and "Failed" in listed
    assert "The photo storage is unavailable; try again later." in page
    assert "Queued 1 of 1 photos" in response.text
    assert finished(failed.pk).state == PhotoState.READY
    assert [status for status, _ in jobs_of(failed)] == ["succeeded", "succeeded"]


def test_make_renditions_queues_the_photos_without_and_waits_with_a_progress_bar(worker, alice, bucket, capsys):
    photos = [stored_photo(alice, content=image_bytes("JPEG", (900, 600 + n)), processed=False) for n in range(3)]
    for photo in photos:
        wait_until(lambda photo=photo: jobs_of(photo), "job")
    wait_until(lambda: Photo.objects.filter(state=PhotoState.READY).count() == 3, "ready photos")
    Photo.objects.filter(pk__in=[photo.pk for photo in photos[:2]]).update(state=PhotoState.FAILED)

    call_command("make_renditions", "--wait")

    out, err = capsys.readouterr()
    assert out.splitlines() == ["Queued 2 photos (0 were queued already).", "Summary: 2 of 2 photos ready; 0 failed."]
    assert "2/2" in err, "a progress bar over the two photos queued"
    assert all(photo.state == PhotoState.READY for photo in Photo.objects.all())

    call_command("make_renditions", "--all")
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == "Queued 3 photos (0 were queued already)."


def test_make_renditions_lists_the_photos_that_failed_and_exits_with_1(worker, alice, upload):
    broken = Photo.objects.get(pk=upload(broken_png(), name="broken.png").json()["id"])
    finished(broken.pk)

    with pytest.raises(CommandError) as error:
        call_command("make_renditions", "--wait")

    assert error.value.returncode == 1 and str(error.value) == "1 photos failed"


def test_a_photo_whose_original_is_missing_ends_failed(worker, alice):
    photo = Photo.objects.create(
        image="photos/gone.jpg", width=1, height=1, size=1, content_type="image/jpeg", owner=alice
    )

    defer_processing(photo)

    assert finished(photo.pk).processing_error == "The original photos/gone.jpg is not in the bucket."


def test_processing_records_the_upright_size_of_an_older_photo(alice, db, bucket):
    """Rows stored before renditions existed have the size before EXIF's orientation; the job corrects it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600)).save(buffer, "JPEG", exif=exif)
    name = default_storage.save(new_photo_key("jpg"), ContentFile(buffer.getvalue()))
    photo = Photo.objects.create(
        image=name, width=900, height=600, size=len(buffer.getvalue()), content_type="image/jpeg", owner=alice
    )

    process_photo(photo.pk)

    photo.refresh_from_db()
    assert (photo.width, photo.height, photo.state) == (600, 900, PhotoState.READY)
    assert photo.renditions["display"].height == 900
