"""One photo through the API: reading it, who edits and deletes it and what deleting removes, how long its objects are
cached, the texts typed into it."""

import pytest
import requests
from django.test import override_settings

from gallery.models import Photo
from gallery.tests.support import (
    distinct_image_bytes,
    image_bytes,
    processed_photo,
    stored_keys,
)

pytestmark = pytest.mark.django_db


def test_detail_and_404(client_for, photo):
    client = client_for(None)

    response = client.get(f"/api/photos/{photo.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "First" and response.json()["owner"] == "alice"
    assert client.get(f"/api/photos/{photo.pk}/").status_code == 200

    missing = client.get("/api/photos/999999")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_owner_edits_title_and_description(api, photo):
    response = api.patch(
        f"/api/photos/{photo.pk}", {"title": "Renamed", "description": "Now with words"}, format="json"
    )

    assert response.status_code == 200
    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("Renamed", "Now with words")


def test_edit_rejects_overlong_title(api, photo):
    response = api.patch(f"/api/photos/{photo.pk}", {"title": "x" * 201}, format="json")

    assert response.status_code == 400 and "title" in response.json()


def test_edit_cannot_change_the_measured_fields(api, photo):
    measured = (photo.width, photo.size, photo.content_type, photo.image.name)

    api.patch(f"/api/photos/{photo.pk}", {"width": 1, "size": 1, "content_type": "text/html"}, format="json")

    photo.refresh_from_db()
    assert (photo.width, photo.size, photo.content_type, photo.image.name) == measured


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("someone else", 403), ("staff", 403), ("staff allowed to", 200)]
)
def test_who_may_edit(client_for, make_user, make_staff, photo, who, status):
    user = {
        "anonymous": None,
        "someone else": make_user("bob"),
        "staff": make_staff("admin"),
        "staff allowed to": make_staff("moderator", "change_photo"),
    }[who]

    response = client_for(user).patch(f"/api/photos/{photo.pk}", {"title": "mine now"}, format="json")

    assert response.status_code == status
    assert (Photo.objects.get(pk=photo.pk).title == "mine now") == (status == 200)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("someone else", 403)])
def test_others_may_not_delete(client_for, make_user, photo, who, status):
    user = make_user("bob") if who == "someone else" else None

    response = client_for(user).delete(f"/api/photos/{photo.pk}")

    assert response.status_code == status
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert photo.image.name in stored_keys()


@override_settings(GALLERY_TRASH_DAYS=0)
@pytest.mark.parametrize("as_staff", [False, True])
def test_delete_without_trash_removes_row_then_object_after_commit(
    client_for, api, make_staff, photo, django_capture_on_commit_callbacks, as_staff
):
    client = client_for(make_staff("moderator", "delete_photo")) if as_staff else api

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.delete(f"/api/photos/{photo.pk}/")
        assert not Photo.objects.filter(pk=photo.pk).exists()
        assert photo.image.name in stored_keys(), "the object must outlive the transaction"
    for callback in callbacks:
        callback()

    assert response.status_code == 204
    assert photo.image.name not in stored_keys()


def test_put_is_not_offered(api, photo):
    assert api.put(f"/api/photos/{photo.pk}", {"title": "x"}, format="json").status_code == 405


def test_objects_are_cached_no_longer_than_a_url_to_them_can_work(api, upload, settings):
    """A deleted photo stays in the browsers that showed it for at most AWS_QUERYSTRING_EXPIRE, not a day."""
    photo_id = processed_photo(upload(image_bytes()).json()["id"]).pk
    photo = api.get(f"/api/photos/{photo_id}").json()

    for url in (photo["photo_url"], photo["thumbnail_url"]):
        cache_control = requests.get(url, timeout=10).headers["Cache-Control"]
        assert cache_control == f"private, max-age={settings.AWS_QUERYSTRING_EXPIRE}, immutable"


def test_typed_texts_lose_bidirectional_controls_on_the_api(api, photo):
    api.patch(f"/api/photos/{photo.pk}", {"title": "a\u202eb", "description": "c\u2066d\u2069"}, format="json")

    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("ab", "cd")


def test_bulk_delete_and_deleted_owner_remove_the_objects(upload, alice, django_capture_on_commit_callbacks):
    """Deletes that bypass the API (admin bulk delete, an account removed) take the S3 objects along."""
    photos = [processed_photo(upload(distinct_image_bytes()).json()["id"]) for _ in range(3)]
    keys = [set(photo.object_keys()) for photo in photos]

    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.filter(pk__in=[photo.pk for photo in photos[:2]]).delete()
    assert not (keys[0] | keys[1]) & stored_keys() and keys[2] <= stored_keys()

    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not keys[2] & stored_keys() and not Photo.objects.exists()


def test_a_body_without_content_type_gets_a_documented_415(api, photo):
    response = api.generic("PATCH", f"/api/photos/{photo.pk}", b"title=x", content_type="")

    assert response.status_code == 415 and "detail" in response.json()
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "415" in schema["paths"]["/api/photos/{id}/"]["patch"]["responses"]
    assert "415" in schema["paths"]["/api/photos/"]["post"]["responses"]
