"""The site's pages through Django's test client: gallery, photo, upload, accounts and error pages."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import override_settings

from gallery.jobs.photos import mark_failed
from gallery.models import Photo, rendition_key
from gallery.tests.support import image_bytes, run_django_without_database, storages_with, stored_keys, stored_photo

pytestmark = pytest.mark.django_db

INVALID_IMAGE = "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def photo_file(name="sunset.jpg", content=None):
    return SimpleUploadedFile(name, content or image_bytes(), content_type="image/jpeg")


def test_empty_gallery_points_to_the_upload_page(logged_in):
    response = logged_in.get("/")

    assert response.status_code == 200
    assert "No photos yet" in response.text
    assert 'href="/upload/"' in response.text


def test_gallery_shows_thumbnails_newest_first_offering_the_grid_size(client, alice, bucket):
    photos = [stored_photo(alice, f"photo {n}.jpg", image_bytes("JPEG", (1000 + 2 * n, 500 + n))) for n in range(7)]

    html = client.get("/").text

    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 7
    for image, photo in zip(images, reversed(photos), strict=True):
        thumbnail, grid = (rendition_key(photo.image.name, name) for name in ("thumbnail", "grid"))
        assert re.search(rf'src="[^"]*/{thumbnail}\?[^"]*"', image)
        assert re.search(rf'srcset="[^"]*/{thumbnail}\?[^"]* 400w, [^"]*/{grid}\?[^"]* 800w"', image)
        assert 'width="400" height="200"' in image, "the thumbnail's size"
        assert f'alt="{photo.title}"' in image
        assert photo.image.name not in image, "the original is not downloaded"
    # The first viewport's tiles load at once (test_image_sizes.py has the lazy ones).
    assert not any('loading="lazy"' in image for image in images)


def test_photos_not_yet_processed_or_failed_get_a_tile_of_their_own(client, alice, bucket):
    ready = stored_photo(alice, "ready.jpg")
    processing = stored_photo(alice, "processing.jpg", processed=False)
    failed = stored_photo(alice, "failed.jpg", processed=False)
    mark_failed(
        failed.pk, "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."
    )

    html = client.get("/").text
    processing_page = client.get(processing.get_absolute_url()).text
    failed_page = client.get(failed.get_absolute_url()).text

    assert len(re.findall(r"<img [^>]*>", html)) == 1, "only the ready photo has an image: no broken one"
    assert '<span class="tile__pending tile__pending--processing">Processing…</span>' in html
    assert '<span class="tile__pending tile__pending--failed">Could not be processed</span>' in html
    for photo in (ready, processing, failed):
        assert f'href="/photos/{photo.pk}/"' in html and f">{photo.title}</span>" in html
    assert "This photo is being processed" in processing_page and "<img" not in processing_page
    assert "This photo could not be processed: Upload a valid image" in failed_page
    assert processing.image.name in processing_page, "the original is there as always"


def test_gallery_pages_use_the_apis_cursor(client, alice, bucket):
    titles = [stored_photo(alice, f"p{n}.jpg").title for n in range(3)]

    first = client.get("/?limit=2")
    next_url = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(next_url)

    assert re.findall(r'class="tile__title" aria-hidden="true">([^<]+)<', first.text) == titles[:0:-1]
    assert re.findall(r'class="tile__title" aria-hidden="true">([^<]+)<', second.text) == titles[:1]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_gallery_runs_the_same_queries_whatever_the_page_size(client, alice, django_assert_num_queries, bucket):
    for n in range(6):
        stored_photo(alice, f"p{n}.jpg")
    client.force_login(alice)

    # The session, its user, one query for the photos with their owners, and the albums the selection can go to.
    for limit in (1, 6):
        with django_assert_num_queries(4):
            assert client.get(f"/?limit={limit}").status_code == 200


def test_a_bad_cursor_is_a_404_in_the_sites_style(client):
    response = client.get("/?cursor=not-a-cursor")

    assert response.status_code == 404
    assert "There’s nothing here" in response.text and 'href="/"' in response.text


def test_photo_page_shows_the_photo_and_what_is_known_about_it(client, alice, bucket):
    photo = stored_photo(alice, "lake.jpg", image_bytes("JPEG", (640, 480)), description="Calm\nwater")

    html = client.get(f"/photos/{photo.pk}/").text

    assert "<h1>lake</h1>" in html
    assert "<p>Calm<br>water</p>" in html
    assert "640 × 480 pixels" in html and "alice" in html and "image/jpeg" in html
    display = rendition_key(photo.image.name, "display")
    assert re.search(rf'<img src="[^"]*/{display}\?[^"]*" srcset="[^"]*"[^>]* width="640" height="480"', html)
    assert re.search(rf'<a class="button" href="[^"]*/{photo.image.name}\?[^"]*">Open the original</a>', html)
    assert "Save changes" not in html and "/delete/" not in html


def test_unknown_photo_is_a_404_in_the_sites_style(client):
    response = client.get("/photos/999999/")

    assert response.status_code == 404
    assert "There’s nothing here" in response.text and "Traceback" not in response.text


def test_owner_edits_title_and_description(logged_in, alice, bucket):
    photo = stored_photo(alice)

    response = logged_in.post(f"/photos/{photo.pk}/", {"title": "New title", "description": "New words"}, follow=True)

    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("New title", "New words")
    assert "Your changes are saved." in response.text


def test_edit_errors_are_shown_beside_the_field(logged_in, alice, bucket):
    photo = stored_photo(alice, "kept.jpg")

    response = logged_in.post(f"/photos/{photo.pk}/", {"title": "x" * 201, "description": ""})

    assert 'id="id_title_errors"' in response.text
    assert "Ensure this value has at most 200 characters" in response.text
    photo.refresh_from_db()
    assert photo.title == "kept"


@pytest.mark.parametrize("who", ["another user", "anonymous"])
def test_only_the_owner_may_edit_or_delete(client, alice, make_user, bucket, who):
    photo = stored_photo(alice, "mine.jpg")
    if who == "another user":
        client.force_login(make_user("mallory"))

    page = client.get(f"/photos/{photo.pk}/").text
    edit = client.post(f"/photos/{photo.pk}/", {"title": "stolen"})
    confirm = client.get(f"/photos/{photo.pk}/delete/")
    delete = client.post(f"/photos/{photo.pk}/delete/")

    assert "Save changes" not in page and "/delete/" not in page
    assert [edit.status_code, confirm.status_code, delete.status_code] == [403, 403, 403]
    assert "You can’t do that here" in delete.text
    photo.refresh_from_db()
    assert photo.title == "mine" and photo.image.name in stored_keys()


@pytest.mark.django_db(transaction=True)
@override_settings(GALLERY_TRASH_DAYS=0)  # deleting is final (test_library_pages.py has the trash)
def test_delete_asks_first_then_removes_row_and_object(client, alice, bucket):
    photo = stored_photo(alice, "going.jpg")
    client.force_login(alice)

    confirm = client.get(f"/photos/{photo.pk}/delete/")
    assert "Delete this photo?" in confirm.text and Photo.objects.filter(pk=photo.pk).exists()

    deleted = client.post(f"/photos/{photo.pk}/delete/", follow=True)

    assert deleted.redirect_chain == [("/", 302)]
    assert "Deleted “going”." in deleted.text
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert photo.image.name not in stored_keys()


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


def test_sign_up_logs_in_and_leads_to_the_upload_page(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newcomer", "password1": "correct horse battery", "password2": "correct horse battery"},
        follow=True,
    )

    assert response.redirect_chain == [("/upload/", 302)]
    assert "Welcome, newcomer." in response.text
    assert "Signed in as </span><strong>newcomer</strong>" in response.text


def test_sign_up_errors_are_shown_beside_the_fields(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "123", "password2": "321"})

    assert 'id="id_password2_errors"' in response.text
    assert not get_user_model().objects.exists()


def test_sign_up_can_be_closed(client, settings):
    settings.GALLERY_OPEN_SIGNUP = False

    assert client.get("/accounts/signup/").status_code == 404
    assert "/accounts/signup/" not in client.get("/").text


def test_log_in_and_log_out(client, alice):
    logged_in = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"}, follow=True)
    refused_get = client.get("/accounts/logout/")
    logged_out = client.post("/accounts/logout/", follow=True)

    assert logged_in.redirect_chain == [("/", 302)] and "<strong>alice</strong>" in logged_in.text
    assert refused_get.status_code == 405
    assert logged_out.redirect_chain == [("/", 302)] and "Log in" in logged_out.text


def test_wrong_password_is_said_on_the_login_page(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert "Please enter a correct username and password" in response.text


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_server_error_pages_render_without_a_request_or_the_database(template, django_assert_num_queries):
    # Django renders 500.html with no context at all; both pages must not need the database that may be down.
    with django_assert_num_queries(0):
        html = render_to_string(template)

    assert "Log out" not in html and "Log in" not in html
    assert 'href="/"' in html


def test_database_down_shows_the_sites_503_page(tmp_path):
    """A fresh process whose database port is closed: the pages answer with the site's 503 page, not a traceback."""
    code = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
print(json.dumps([(r.status_code, r.content.decode()) for r in (client.get("/"), client.get("/photos/1/"))]))
"""
    result = run_django_without_database(code, tmp_path)

    assert result.returncode == 0, result.stderr
    for status, html in json.loads(result.stdout):
        assert status == 503
        assert "The gallery is briefly unavailable" in html and "Traceback" not in html


def test_the_upload_page_refuses_two_files_in_the_field(logged_in, bucket):
    response = logged_in.post("/upload/", {"photo": [photo_file("a.jpg"), photo_file("b.jpg")], "title": "Two"})

    assert response.status_code == 200
    assert "Send one file in this field, not several." in response.text
    assert not Photo.objects.exists() and stored_keys() == bucket


BIDI = "\u202eevil\u202c \u2067isolated\u2069 \u202aembedded\u202c \u202doverride\u202c"


def test_typed_titles_and_descriptions_lose_bidirectional_controls(logged_in, alice, bucket):
    logged_in.post("/upload/", {"photo": photo_file(), "title": BIDI, "description": f"line\n{BIDI}"})
    photo = Photo.objects.get()
    logged_in.post(f"/photos/{photo.pk}/", {"title": f"edited {BIDI}", "description": BIDI})
    edited = Photo.objects.get()

    visible = "evil isolated embedded override"
    assert (photo.title, photo.description) == (visible, f"line\n{visible}")
    assert (edited.title, edited.description) == (f"edited {visible}", visible)


def sign_up(client, username):
    password = "correct horse battery staple"
    return client.post("/accounts/signup/", {"username": username, "password1": password, "password2": password})


@pytest.mark.parametrize(
    "username",
    [
        "\u0430lice",  # Cyrillic а, then Latin: mixed scripts that look alike
        "\u0430\u0440\u0435",  # all Cyrillic, spelling the existing "ape" in look-alike letters
        "ALICE",
    ],
)
def test_sign_up_refuses_a_username_that_looks_like_another(client, make_user, username):
    make_user("alice")
    make_user("ape")

    response = sign_up(client, username)

    assert response.status_code == 200
    assert "looks like another one" in response.text or "already exists" in response.text
    assert get_user_model().objects.count() == 2


@pytest.mark.parametrize("username", ["борис", "Ελένη", "zoë", "ali.ce"])
def test_sign_up_takes_names_in_one_script_that_look_like_nobody(client, make_user, username):
    make_user("alice")

    assert sign_up(client, username).status_code == 302
    assert get_user_model().objects.filter(username=username).exists()
