"""What direct uploads leave behind, and who cleans it: the periodic job (on a real worker) for abandoned sessions,
reconcile_storage for what no live session owns, and a deleted owner's live sessions."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from gallery.direct_uploads import s3
from gallery.direct_uploads.jobs import clean_up_uploads
from gallery.direct_uploads.models import UploadSession, UploadState
from gallery.direct_uploads.sessions import MIN_PART_SIZE
from gallery.tests import test_reconcile
from gallery.tests.support.corpus import noise_png
from gallery.tests.support.direct_uploads import (
    MB,
    incoming,
    nothing_left_in_incoming,  # noqa: F401 (an autouse fixture)
    part_of,
    post_whole,
    put_part,
    start,
)
from gallery.tests.support.images import image_bytes
from gallery.tests.support.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# test_reconcile.py's fixture: the storage under a prefix of its own.
location = test_reconcile.location


def test_the_periodic_job_expires_abandoned_sessions_and_deletes_their_bytes(worker, api, alice):
    content = noise_png(MIN_PART_SIZE + MB)
    parted = start(api, content).json()
    assert put_part(parted["parts"][0]["url"], part_of(parted, content, 1)).status_code == 200
    small = image_bytes()
    posted = start(api, small).json()
    assert post_whole(posted, small).status_code == 204
    current = start(api, small).json()
    abandoned = [parted["id"], posted["id"]]
    UploadSession.objects.filter(pk__in=abandoned).update(expires_at=timezone.now() - timedelta(minutes=1))
    # A week after a session ended, its row goes.
    ended_long_ago = UploadSession.objects.create(
        owner=alice, filename="old.jpg", size=10, part_size=10, state=UploadState.DONE,
        ended_at=timezone.now() - timedelta(days=8),
    )  # fmt: skip
    assert len(incoming()) == 2

    # What the worker's scheduler does every 10 minutes.
    clean_up_uploads.defer(timestamp=int(time.time()))

    wait_until(lambda: not UploadSession.objects.filter(pk=ended_long_ago.pk).exists(), "the job's end")
    assert UploadSession.objects.filter(pk__in=abandoned, state=UploadState.EXPIRED).count() == 2
    assert incoming() == set(), "the multipart upload aborted, the posted object deleted"
    assert UploadSession.objects.get(pk=current["id"]).state == UploadState.UPLOADING, "not expired yet"
    assert api.get(f"/api/uploads/{parted['id']}").json()["state"] == "expired"
    assert api.post(f"/api/uploads/{parted['id']}/parts", {"part_numbers": [2]}, format="json").status_code == 409


def test_a_deleted_owners_sessions_take_their_bytes_with_them(api, alice):
    content = noise_png(MIN_PART_SIZE + MB)
    session = start(api, content).json()
    assert put_part(session["parts"][0]["url"], part_of(session, content, 1)).status_code == 200

    alice.delete()

    assert incoming() == set() and not UploadSession.objects.exists()


def reconcile(*args):
    out = io.StringIO()
    try:
        call_command("reconcile_storage", *args, stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines(), str(error)
    return out.getvalue().splitlines(), None


def test_reconcile_reports_incoming_uploads_without_a_live_session_and_deletes_them(location, api):
    stray_object = default_storage.save("incoming/left-by-a-killed-worker", ContentFile(b"some bytes"))
    stray_upload = s3.start_multipart("incoming/never-recorded")
    content = noise_png(MIN_PART_SIZE + MB)
    live = start(api, content).json()
    assert put_part(live["parts"][0]["url"], part_of(live, content, 1)).status_code == 200
    live_key = UploadSession.objects.get(pk=live["id"]).key

    lines, error = reconcile("--min-age", "0")

    strays = [re.sub(r"\d+ s old", "N s old", line) for line in lines if line.startswith("stray ")]
    assert strays == [
        f"stray {stray_object} (10 bytes, N s old): no live upload session; would be deleted by --delete",
        "stray incoming/never-recorded (multipart upload, N s old): no live upload session; "
        "would be aborted by --delete",
    ]
    assert not any(live_key in line for line in lines), "a live session's parts are no stray"
    assert lines[-1] == (
        "Incoming: 3 objects and multipart uploads under incoming/, 2 without a live upload session "
        "(0 younger than 0 s), 0 removed (dry run)"
    )
    assert error == "2 stray uploads under incoming/ older than 0 s left"
    assert reconcile()[1] is None, "younger than an hour by default: kept and no problem"

    lines, error = reconcile("--delete", "--min-age", "0")

    assert error is None and lines[-1].endswith("2 removed")
    remaining = default_storage.bucket.meta.client.list_multipart_uploads(
        Bucket=default_storage.bucket_name, Prefix=f"{location}/incoming/"
    ).get("Uploads", [])
    assert [upload["UploadId"] for upload in remaining] == [UploadSession.objects.get().multipart_upload_id]
    assert stray_upload not in {upload["UploadId"] for upload in remaining}
    assert not default_storage.exists(stray_object)
    assert api.delete(f"/api/uploads/{live['id']}").status_code == 204


def test_staff_see_sessions_in_the_admin_and_change_none(client, make_user, alice):
    session = UploadSession.objects.create(
        owner=alice, filename="refused.jpg", size=2048, part_size=2048, state=UploadState.REJECTED, error="Why."
    )
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))

    listed = client.get("/admin/gallery/uploadsession/", {"state__exact": "rejected"}).text
    page = client.get(f"/admin/gallery/uploadsession/{session.pk}/change/").text

    assert "refused.jpg" in listed and "alice" in listed and "2.0\xa0KB" in listed
    assert "Why." in page and 'type="submit"' not in page.split('id="content-main"')[1].split("</form>")[0]
    assert client.get("/admin/gallery/uploadsession/add/").status_code == 403
    client.force_login(alice)
    assert client.get("/admin/gallery/uploadsession/").status_code == 302, "to the admin's login"
