"""A photo's page: what is known about it, the owner's edits and their errors, who may edit and delete it, deleting,
and typed texts losing their bidirectional controls."""

import re

import pytest
from django.test import override_settings

from gallery.models import Photo, rendition_key
from gallery.tests.support import image_bytes, stored_keys, stored_photo
from gallery.tests.test_upload_page import photo_file

pytestmark = pytest.mark.django_db


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


BIDI = "\u202eevil\u202c \u2067isolated\u2069 \u202aembedded\u202c \u202doverride\u202c"


def test_typed_titles_and_descriptions_lose_bidirectional_controls(logged_in, alice, bucket):
    logged_in.post("/upload/", {"photo": photo_file(), "title": BIDI, "description": f"line\n{BIDI}"})
    photo = Photo.objects.get()
    logged_in.post(f"/photos/{photo.pk}/", {"title": f"edited {BIDI}", "description": BIDI})
    edited = Photo.objects.get()

    visible = "evil isolated embedded override"
    assert (photo.title, photo.description) == (visible, f"line\n{visible}")
    assert (edited.title, edited.description) == (f"edited {visible}", visible)
