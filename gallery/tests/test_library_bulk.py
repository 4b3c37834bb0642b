"""Favourites and the bulk actions through the API (favourite, unfavourite, to the trash, out of it), on the real
PostgreSQL and S3: every photo named is checked against the owner rule (Photo.can_be_changed_by and
can_be_deleted_by: its owner, or staff with the model permission), all or nothing."""

import pytest
from django.utils import timezone

from gallery.models import Photo
from gallery.tests.support import stored_photo

# Nearly every test here stores photos: the bucket fixture deletes them after each.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bucket")]

# Each bulk action, and the model permission staff need for it on others' photos.
BULK_ACTIONS = {
    "/api/photos/favorite": "change_photo",
    "/api/photos/unfavorite": "change_photo",
    "/api/photos/trash": "delete_photo",
    "/api/trash/restore": "delete_photo",
}


@pytest.fixture
def photos(alice):
    """Three photos of alice's (`api` is hers)."""
    return [stored_photo(alice, f"p{n}.jpg") for n in range(3)]


def listed(client):
    return [item["id"] for item in client.get("/api/photos").json()]


@pytest.mark.parametrize(("action", "favorite"), [("favorite", True), ("unfavorite", False)])
def test_bulk_favourites(api, photos, action, favorite):
    Photo.objects.update(favorite=not favorite)

    response = api.post(f"/api/photos/{action}", {"photo_ids": [photos[0].pk, photos[2].pk]}, format="json")

    assert response.status_code == 200 and sorted(response.json()["photo_ids"]) == [photos[0].pk, photos[2].pk]
    assert {photo.pk: photo.favorite for photo in Photo.objects.all()} == {
        photos[0].pk: favorite,
        photos[1].pk: not favorite,
        photos[2].pk: favorite,
    }


@pytest.mark.parametrize("action", ["favorite", "unfavorite", "trash"])
def test_bulk_actions_check_every_photo_and_change_none_unless_all_are_yours(
    api, client_for, make_user, photos, action
):
    bob = make_user("bob")
    bobs = stored_photo(bob, "bobs.jpg").pk
    before = list(Photo.all_objects.order_by("pk").values_list("pk", "favorite", "trashed_at"))
    path = f"/api/photos/{action}"

    not_yours = api.post(path, {"photo_ids": [photos[0].pk, bobs]}, format="json")
    missing = api.post(path, {"photo_ids": [photos[0].pk, 999999]}, format="json")

    assert not_yours.status_code == 403 and not_yours.json()["photo_ids"] == [bobs]
    assert missing.status_code == 404 and missing.json()["photo_ids"] == [999999]
    assert client_for(None).post(path, {"photo_ids": [bobs]}, format="json").status_code == 401
    for body in ({}, {"photo_ids": []}, {"photo_ids": ["one"]}, {"photo_ids": [0]}, {"photo_ids": [2**63]}):
        assert api.post(path, body, format="json").status_code == 400
    assert api.post(path, {"photo_ids": [1] * 1001}, format="json").status_code == 400
    assert list(Photo.all_objects.order_by("pk").values_list("pk", "favorite", "trashed_at")) == before
    assert client_for(bob).post(path, {"photo_ids": [bobs]}, format="json").status_code == 200


def test_bulk_trash_then_restore(api, photos):
    ids = [photos[0].pk, photos[1].pk]

    assert api.post("/api/photos/trash", {"photo_ids": ids}, format="json").status_code == 200
    assert listed(api) == [photos[2].pk]
    assert api.post("/api/trash/restore", {"photo_ids": ids}, format="json").status_code == 200
    assert len(listed(api)) == 3


@pytest.mark.parametrize("path", BULK_ACTIONS)
@pytest.mark.parametrize("codenames", [(), ("view_photo",), ("change_photo",), ("change_photo", "delete_photo")])
def test_staff_act_in_bulk_on_others_photos_only_with_the_model_permission(
    client_for, make_staff, alice, path, codenames
):
    photo = stored_photo(alice, "alices.jpg")
    undone = {"/api/photos/unfavorite": {"favorite": True}, "/api/trash/restore": {"trashed_at": timezone.now()}}
    Photo.all_objects.filter(pk=photo.pk).update(**undone.get(path, {}))  # so that the action changes something
    before = Photo.all_objects.values("favorite", "trashed_at").get(pk=photo.pk)
    allowed = BULK_ACTIONS[path] in codenames

    response = client_for(make_staff("moderator", *codenames)).post(path, {"photo_ids": [photo.pk]}, format="json")

    if allowed:
        assert response.status_code == 200 and response.json()["photo_ids"] == [photo.pk]
        assert Photo.all_objects.values("favorite", "trashed_at").get(pk=photo.pk) != before
    else:
        # Staff without delete_photo do not see others' photos in the trash: 404, as for one that does not exist.
        assert response.status_code == (404 if path == "/api/trash/restore" else 403), response.json()
        assert response.json()["photo_ids"] == [photo.pk]
        assert Photo.all_objects.values("favorite", "trashed_at").get(pk=photo.pk) == before
