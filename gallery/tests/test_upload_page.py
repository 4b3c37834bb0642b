"""The upload page's plain form: the types and limit it states, what it stores and says, its errors beside the field,
over the size limit, storage failing, anonymous visitors."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from gallery.models import Photo
from gallery.tests.support import image_bytes, storages_with, stored_keys

pytestmark = pytest.mark.django_db


INVALID_IMAGE = "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."


def photo_file(name="sunset.jpg", content=None):
    return SimpleUploadedFile(name, content or image_bytes(), content_type="image/jpeg")


def test_upload_page_states_types_and_limit_from_the_settings(logged_in, settings):
    settings.GALLERY_MAX_UPLOAD_MB = 7
    settings.GALLERY_DIRECT_UPLOADS = False  # the form posts' limit; direct uploads state theirs

    html = logged_in.get("/upload/").text

    assert "JPEG, PNG, GIF, WebP, HEIC or AVIF, up to 7 MB each." in html
    assert 'accept="image/jpeg,image/png,image/gif,image/webp,image/avif,image/heic,.heic,.heif"' in html
    assert f'data-max-bytes="{7 * 1024 * 1024}"' in html
    assert 'enctype="multipart/form-data"' in html


def test_plain_form_upload_stores_the_photo_and_says_so(logged_in, alice, bucket):
    response = logged_in.post(
        "/upload/", {"photo": photo_file(), "title": "Evening", "description": "Warm light"}, follow=True
    )

    photo = Photo.objects.get()
    assert response.redirect_chain == [(f"/photos/{photo.pk}/", 302)]
    assert "Uploaded “Evening”." in response.text
    assert (photo.owner, photo.description, photo.content_type) == (alice, "Warm light", "image/jpeg")
    assert stored_keys() - bucket == set(photo.object_keys())


def test_plain_form_shows_the_error_beside_the_field_and_keeps_what_was_typed(logged_in, bucket):
    response = logged_in.post(
        "/upload/", {"photo": photo_file("notes.jpg", b"not an image"), "title": "Typed", "description": "Kept"}
    )

    assert response.status_code == 200
    assert re.search(r'<ul class="errorlist" id="id_photo_errors"><li>' + re.escape(INVALID_IMAGE), response.text)
    assert 'value="Typed"' in response.text and ">\nKept</textarea>" in response.text
    assert Photo.objects.count() == 0 and stored_keys() == bucket


def test_plain_form_over_the_size_limit_gets_a_413_page(logged_in, settings, bucket):
    settings.GALLERY_MAX_UPLOAD_MB = 1

    response = logged_in.post("/upload/", {"photo": photo_file(content=b"\xff" * (1024 * 1024 + 1))})

    assert response.status_code == 413
    assert "That upload is too large" in response.text and "the limit is 1 MB" in response.text
    assert Photo.objects.count() == 0 and stored_keys() == bucket


def test_plain_form_when_storage_fails_says_so_and_keeps_nothing(logged_in, bucket):
    with override_settings(STORAGES=storages_with(secret_key="wrong")):
        response = logged_in.post("/upload/", {"photo": photo_file(), "title": "Typed"})

    assert response.status_code == 503
    assert "The photo storage is unavailable; try again later." in response.text
    assert 'value="Typed"' in response.text
    assert Photo.objects.count() == 0 and stored_keys() == bucket


def test_anonymous_visitor_is_sent_to_log_in_and_cannot_post(client, bucket):
    page = client.get("/upload/")
    posted = client.post("/upload/", {"photo": photo_file()})
    gallery = client.get("/").text

    assert page.status_code == 302 and page.url == "/accounts/login/?next=/upload/"
    assert posted.status_code == 403
    assert Photo.objects.count() == 0 and stored_keys() == bucket
    assert 'href="/upload/"' not in gallery.replace("next=/upload/", "")


def test_anonymous_uploads_when_the_site_allows_them(client, settings, bucket):
    settings.GALLERY_ALLOW_ANONYMOUS_UPLOADS = True

    client.post("/upload/", {"photo": photo_file()})

    assert Photo.objects.get().owner is None
    assert 'href="/upload/"' in client.get("/").text


def test_the_upload_page_refuses_two_files_in_the_field(logged_in, bucket):
    response = logged_in.post("/upload/", {"photo": [photo_file("a.jpg"), photo_file("b.jpg")], "title": "Two"})

    assert response.status_code == 200
    assert "Send one file in this field, not several." in response.text
    assert not Photo.objects.exists() and stored_keys() == bucket
