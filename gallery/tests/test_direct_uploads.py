"""Direct uploads, the whole protocol, against the real SeaweedFS and a real job worker: small files in one POST,
larger ones in parts, resumed from what S3 holds; lying clients; who may see and act on a session."""

import hashlib
import io
import os
import struct

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image

from gallery.direct_uploads.models import UploadState
from gallery.direct_uploads.sessions import HEADER_BYTES, MIN_PART_SIZE
from gallery.images import GRID
from gallery.models import Photo, PhotoState, rendition_key
from gallery.tests.support.corpus import noise_png, saved
from gallery.tests.support.direct_uploads import (
    MB,
    complete,
    direct_upload,
    finished,
    incoming,
    nothing_left_in_incoming,  # noqa: F401 (an autouse fixture)
    part_of,
    post_whole,
    put_part,
    sign,
    start,
)
from gallery.tests.support.images import heic_bytes, image_bytes, photo_exif, png_chunk
from gallery.tests.support.processes import wait_until
from gallery.tests.support.storage import stored_keys
from gallery.tests.test_jobs import INVALID_IMAGE, broken_png

pytestmark = pytest.mark.django_db(transaction=True)


def oversized_png():
    """A PNG declaring 8000 x 6000 RGB pixels (over RGB's limit), then 2 MB of data: the check reads its header."""
    header = struct.pack(">IIBBBBB", 8000, 6000, 8, 2, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header) + png_chunk(b"IDAT", os.urandom(2 * MB)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def jpeg_with_location():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(buffer, "JPEG", exif=photo_exif())
    return buffer.getvalue()


def test_a_small_file_goes_in_one_post_and_becomes_a_photo_without_its_location(worker, api, alice, bucket):
    content = jpeg_with_location()
    created = start(api, content, "IMG_0042.jpg", description="Sea", visibility="private")

    assert created.status_code == 201
    session = created.json()
    assert (session["state"], session["size"], session["parts"]) == ("uploading", len(content), [])
    assert set(session["post"]) == {"url", "fields"} and session["post"]["fields"]["key"].startswith("incoming/")
    assert post_whole(session, content).status_code == 204
    completed = complete(api, session)

    assert completed.status_code == 202 and completed.json()["state"] == "verifying"
    assert finished(session["id"]).state == UploadState.DONE
    body = api.get(f"/api/uploads/{session['id']}").json()
    photo = Photo.objects.get()
    assert body["state"] == "done" and body["error"] == "" and body["photo"]["id"] == photo.pk
    assert set(body["photo"]) == set(api.get(f"/api/photos/{photo.pk}").json()), "the photo as the API shows it"
    assert (photo.owner, photo.title, photo.description, photo.visibility) == (alice, "IMG_0042", "Sea", "private")
    # The upload path of POST /api/photos: what EXIF says of how it was taken, and the checksum of the bytes sent.
    assert body["photo"]["taken_at"].startswith("2024-07-14T18:30:05")
    assert (body["photo"]["camera_make"], body["photo"]["camera_model"]) == ("Phonemaker", "Phone 12")
    assert photo.checksum == hashlib.sha256(content).hexdigest() and photo.original_filename == "IMG_0042.jpg"
    stored = Image.open(default_storage.open(photo.image.name))
    assert stored.getexif().get_ifd(0x8825) == {}, "no GPS in the stored original"
    assert stored.getexif()[0x0110] == "Phone 12", "the rest of the EXIF is kept"
    wait_until(lambda: Photo.objects.get().state == PhotoState.READY, "renditions made as for any upload")
    ready = Photo.objects.get()
    assert stored_keys() - bucket == set(ready.object_keys()) and len(ready.object_keys()) == 4
    assert rendition_key(ready.image.name, GRID) in stored_keys() and ready.missing_renditions == []
    assert ready.thumbhash and ready.average_colour.startswith("#"), "the placeholder, as for any upload"
    assert incoming() == set(), "the incoming object is deleted"


def test_bytes_the_owner_has_already_are_that_photo_as_post_api_photos_answers(worker, api, upload, bucket):
    content = noise_png(MIN_PART_SIZE + MB)
    first = direct_upload(api, content)
    photo = Photo.objects.get(pk=finished(first.json()["id"]).photo_id)
    wait_until(lambda: Photo.objects.get().state == PhotoState.READY, "renditions made")
    keys = stored_keys()

    again = direct_upload(api, content, "copy.png")
    session = finished(again.json()["id"])
    body = api.get(f"/api/uploads/{session.pk}").json()

    assert (body["state"], body["duplicate"], body["photo"]["id"]) == ("done", True, photo.pk)
    assert Photo.objects.count() == 1 and stored_keys() == keys and incoming() == set(), "nothing new is stored"
    assert api.get(f"/api/uploads/{first.json()['id']}").json()["duplicate"] is False
    posted = upload(content)
    assert (posted.status_code, posted.json()["id"], posted.json()["duplicate"]) == (200, photo.pk, True)


def test_a_multipart_upload_resumes_from_the_parts_s3_holds(worker, api, alice, bucket):
    content = noise_png(2 * MIN_PART_SIZE + 2 * MB)
    session = start(api, content, "big.png", title="Big").json()
    assert (session["post"], session["part_size"]) == (None, MIN_PART_SIZE)
    urls = {part["part_number"]: part["url"] for part in session["parts"]}
    assert set(urls) == {1, 2, 3}

    assert put_part(urls[1], part_of(session, content, 1)).status_code == 200
    held = api.get(f"/api/uploads/{session['id']}").json()["parts_held"]
    assert held == [{"part_number": 1, "size": MIN_PART_SIZE}], "S3's ListParts, so a client can go on from it"

    # Later, on another connection: the other parts, signed anew.
    fresh = sign(api, session, 2, 3)
    for number in (2, 3):
        assert put_part(fresh[number], part_of(session, content, number)).status_code == 200
    assert complete(api, session, description="From the hill").status_code == 202

    assert finished(session["id"]).state == UploadState.DONE
    photo = Photo.objects.get()
    assert (photo.title, photo.description, photo.size, photo.width) == ("Big", "From the hill", len(content), 2048)
    original = default_storage.open(photo.image.name).read()
    assert hashlib.sha256(original).digest() == hashlib.sha256(content).digest(), "the bytes as sent"
    assert photo.image.name.startswith("photos/") and photo.image.name.endswith(".png")
    assert incoming() == set(), "neither the parts nor the joined object stay"


def test_a_client_sending_more_or_fewer_bytes_than_declared_leaves_nothing(api, bucket):
    content = noise_png(MIN_PART_SIZE + MB)
    session = start(api, content).json()
    one = part_of(session, content, 1)
    url = session["parts"][0]["url"]

    assert put_part(url, one + b"more").status_code == 403, "the URL is signed for the part's exact length"
    assert put_part(url, one[:-1]).status_code == 403
    assert put_part(url, one).status_code == 200
    # The last part is never sent: the file is short of what was declared.
    refused = complete(api, session)

    assert refused.status_code == 400
    assert refused.json() == {"photo": ["The upload is incomplete: S3 holds 1 of its 2 parts."]}
    assert api.get(f"/api/uploads/{session['id']}").json()["state"] == "rejected"
    assert incoming() == set() and stored_keys() == bucket and not Photo.objects.exists()

    small = image_bytes()
    single = start(api, small).json()
    assert post_whole(single, small + b"x").status_code == 400, "the POST's policy pins the size"
    assert post_whole(single, small[:-1]).status_code == 400
    assert complete(api, single).json() == {"photo": ["Nothing was uploaded."]}
    assert incoming() == set() and not Photo.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not a picture" * 100, INVALID_IMAGE),
        (oversized_png(), "This image has 8000 x 6000 pixels; the limit is 30 million pixels."),
        (b"", "The submitted file is empty."),
    ],
    ids=["text-named-jpg", "over-the-pixel-limit", "empty"],
)
def test_the_quick_checks_refuse_at_completion_with_the_apis_messages(api, bucket, content, message):
    if not content:
        assert start(api, content).json() == {"size": [message]}, "refused as soon as it is declared"
        return
    refused = direct_upload(api, content, "holiday.jpg")

    assert refused.status_code == 400 and refused.json() == {"photo": [message]}
    assert incoming() == set() and stored_keys() == bucket and not Photo.objects.exists()


def random_pixels(size=(1200, 900)):
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (lambda: saved(random_pixels(), "WEBP", lossless=True), "image/webp"),
        (lambda: saved(random_pixels(), "AVIF", quality=95), "image/avif"),
        (lambda: heic_bytes(random_pixels()), "image/heic"),
    ],
    ids=["webp", "avif", "heic"],
)
def test_formats_whose_header_is_read_alone_pass_and_the_job_checks_the_rest(worker, api, bucket, make, content_type):
    """Over a megabyte, only the file's start is checked at completion; WebP and AVIF are known there by their
    format alone (Pillow reads them whole), and the job decodes them."""
    content = make()
    assert len(content) > HEADER_BYTES

    completed = direct_upload(api, content, "phone-photo")

    assert completed.status_code == 202, completed.content
    assert finished(completed.json()["id"]).state == UploadState.DONE
    photo = Photo.objects.get()
    assert (photo.content_type, photo.width, photo.height) == (content_type, 1200, 900)


def test_what_only_decoding_tells_is_refused_by_the_job_and_no_photo_is_made(worker, api, bucket):
    """A PNG whose chunks are whole but whose pixels are not zlib passes the quick checks; decoding refuses it."""
    completed = direct_upload(api, broken_png(), "broken.png")
    assert completed.status_code == 202

    session = finished(completed.json()["id"])

    assert (session.state, session.error) == (UploadState.REJECTED, INVALID_IMAGE)
    body = api.get(f"/api/uploads/{session.pk}").json()
    assert (body["state"], body["error"], body["photo"]) == ("rejected", INVALID_IMAGE, None)
    assert not Photo.objects.exists() and stored_keys() == bucket and incoming() == set()
    assert complete(api, body).json() == {"photo": [INVALID_IMAGE]}, "completing again says the same"


def test_only_the_owner_and_holders_of_the_permissions_see_or_act_on_a_session(api, client_for, make_user, make_staff):
    content = noise_png(MIN_PART_SIZE + MB)
    session = start(api, content).json()
    staff_without, viewer = make_staff("staff"), make_staff("viewer", "view_uploadsession")
    path = f"/api/uploads/{session['id']}"

    for client, status in (
        (client_for(make_user("mallory")), 404),
        (client_for(staff_without), 404),
        (client_for(None), 401),
    ):
        assert client.get(path).status_code == status
        assert client.post(f"{path}/parts", {"part_numbers": [1]}, format="json").status_code == status
        assert client.post(f"{path}/complete", {}, format="json").status_code == status
        assert client.delete(path).status_code == status
    assert client_for(None).post("/api/uploads", {"filename": "a.jpg", "size": 10}, format="json").status_code == 401
    viewer = client_for(viewer)
    assert viewer.get(path).json()["state"] == "uploading"
    assert viewer.post(f"{path}/parts", {"part_numbers": [1]}, format="json").status_code == 403
    assert viewer.post(f"{path}/complete", {}, format="json").status_code == 403
    assert viewer.delete(path).status_code == 403
    assert api.get(path).json()["state"] == "uploading", "still uploading: nobody else changed it"

    # No URL the site hands out reads an incoming object.
    url = session["parts"][0]["url"]
    assert requests.get(url, timeout=10).status_code == 403, "a part's URL is for PUT only"
    key = session["parts"][0]["url"].split("?")[0]
    assert requests.get(key, timeout=10).status_code == 403

    moderator = client_for(make_staff("moderator", "view_uploadsession", "delete_uploadsession"))
    assert moderator.delete(path).status_code == 204
    assert api.get(path).json()["state"] == "aborted" and incoming() == set()


def test_an_aborted_upload_leaves_nothing_and_takes_no_more_bytes(api, bucket):
    content = noise_png(MIN_PART_SIZE + MB)
    session = start(api, content).json()
    assert put_part(session["parts"][0]["url"], part_of(session, content, 1)).status_code == 200
    path = f"/api/uploads/{session['id']}"

    assert api.delete(path).status_code == 204

    assert incoming() == set()
    assert api.get(path).json()["state"] == "aborted"
    assert api.delete(path).status_code == 204, "aborting again changes nothing"
    assert api.post(f"{path}/parts", {"part_numbers": [2]}, format="json").status_code == 409
    assert complete(api, session).json() == {"detail": "This upload is aborted."}
    assert put_part(session["parts"][1]["url"], part_of(session, content, 2)).status_code in (403, 404)
    assert incoming() == set()


def test_parts_are_signed_only_for_the_parts_the_file_has(api):
    session = start(api, noise_png(MIN_PART_SIZE + MB)).json()
    path = f"/api/uploads/{session['id']}/parts"

    assert api.post(path, {"part_numbers": [3]}, format="json").json() == {
        "part_numbers": ["This upload has parts 1 to 2; there is no part 3."]
    }
    assert api.post(path, {"part_numbers": []}, format="json").status_code == 400
    single = start(api, image_bytes()).json()
    assert api.post(f"/api/uploads/{single['id']}/parts", {"part_numbers": [1]}, format="json").json() == {
        "detail": "This upload is sent in one POST: it has no parts to sign."
    }


def test_the_declared_size_is_held_to_the_direct_upload_limit(api, settings):
    settings.GALLERY_MAX_DIRECT_UPLOAD_MB = 30
    declared = {"filename": "huge.jpg", "size": 30 * MB + 1}

    assert api.post("/api/uploads", declared, format="json").json() == {
        "size": ["The file is too large: the limit is 30 MB."]
    }
    assert api.post("/api/uploads", {**declared, "size": 30 * MB}, format="json").status_code == 201


def test_starting_an_upload_counts_against_the_upload_limits_shared_with_post_api_photos(api, upload, settings):
    settings.GALLERY_UPLOADS_PER_HOUR = 2

    assert start(api, image_bytes()).status_code == 201
    assert upload(image_bytes()).status_code == 201
    refused = start(api, image_bytes())

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert upload(image_bytes()).status_code == 429


def test_switched_off_the_api_answers_404_and_post_api_photos_still_works(api, upload, settings):
    settings.GALLERY_DIRECT_UPLOADS = False

    response = start(api, image_bytes())

    assert response.status_code == 404
    assert response.json() == {"detail": "Direct uploads are switched off on this site; use POST /api/photos."}
    assert upload(image_bytes()).status_code == 201
