"""The Django admin for photos: the list, search and filters, adding through the upload rules, deleting with S3."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import override_settings
from django.utils import formats, timezone

from gallery.models import Photo
from gallery.tests.support import image_bytes, stored_keys, stored_photo

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/gallery/photo/"


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    return client


def test_list_shows_preview_title_owner_size_dimensions_and_date(admin_client, alice, bucket):
    photo = stored_photo(alice, "harbour.jpg", image_bytes("JPEG", (320, 200)))

    html = admin_client.get(CHANGELIST).text

    assert f'<img src="{photo.renditions["thumbnail"].url.split("?")[0]}' in html
    assert 'width="102" height="64"' in html
    created = formats.localize(timezone.template_localtime(photo.created_at))
    for text in ("harbour", "alice", "320 × 200", filesizeformat(photo.size), created):
        assert text in html


def test_search_by_owner_and_filter_by_content_type(admin_client, alice, make_user, bucket):
    stored_photo(alice, "by-alice.jpg")
    stored_photo(make_user("bob"), "by-bob.png", image_bytes("PNG"))

    by_owner = admin_client.get(CHANGELIST, {"q": "bob"}).text
    by_type = admin_client.get(CHANGELIST, {"content_type": "image/jpeg"}).text

    assert "by-bob" in by_owner and "by-alice" not in by_owner
    assert "by-alice" in by_type and "by-bob" not in by_type


def test_adding_a_photo_goes_through_the_upload_rules(admin_client, bucket):
    upload = SimpleUploadedFile("pier.png", image_bytes("PNG", (90, 60)), content_type="application/octet-stream")

    response = admin_client.post(f"{CHANGELIST}add/", {"photo": upload, "title": "", "description": "From the admin"})

    photo = Photo.objects.get()
    assert response.status_code == 302
    assert (photo.title, photo.owner.username, photo.content_type) == ("pier", "admin", "image/png")
    assert (photo.width, photo.height, photo.description) == (90, 60, "From the admin")
    assert stored_keys() - bucket == set(photo.object_keys()) and photo.image.name.endswith(".png")


def test_adding_a_file_that_is_not_an_image_is_refused_beside_the_field(admin_client, bucket):
    upload = SimpleUploadedFile("fake.jpg", b"<html>not an image</html>", content_type="image/jpeg")

    response = admin_client.post(f"{CHANGELIST}add/", {"photo": upload, "title": "Fake"})

    assert response.status_code == 200
    assert "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF." in response.text
    assert not Photo.objects.exists() and stored_keys() == bucket


def test_editing_changes_the_title_only(admin_client, alice, bucket):
    photo = stored_photo(alice, "before.jpg")

    admin_client.post(f"{CHANGELIST}{photo.pk}/change/", {"title": "After", "description": "Edited"})

    photo.refresh_from_db()
    assert (photo.title, photo.description, photo.owner) == ("After", "Edited", alice)


@pytest.mark.django_db(transaction=True)
@override_settings(GALLERY_TRASH_DAYS=0)  # deleting is final (test_library_pages.py has the admin's trash)
def test_delete_and_bulk_delete_remove_the_objects(admin_client, alice, bucket):
    photos = [stored_photo(alice, f"p{n}.jpg") for n in range(3)]

    admin_client.post(f"{CHANGELIST}{photos[0].pk}/delete/", {"post": "yes"})
    admin_client.post(CHANGELIST, {"action": "move_to_trash", "_selected_action": [p.pk for p in photos[1:]]})

    assert not Photo.objects.exists()
    assert not {p.image.name for p in photos} & stored_keys()


def test_the_admin_is_for_staff_only(client, alice):
    client.force_login(alice)

    response = client.get(CHANGELIST)

    assert response.status_code == 302 and response.url.startswith("/admin/login/")
