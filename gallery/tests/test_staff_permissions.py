"""Staff change or delete others' photos only with Django's model permissions, on the API, the pages and the admin."""

import pytest

from gallery.models import Photo
from gallery.tests.support import stored_photo

pytestmark = pytest.mark.django_db

# Who, with which of the gallery's permissions: (may change others' photos, may delete them).
STAFF = {
    "no permission": ((), (False, False)),
    "change_photo": (("change_photo",), (True, False)),
    "delete_photo": (("change_photo", "delete_photo"), (True, True)),
}


@pytest.fixture(params=STAFF)
def staff(request, make_staff):
    codenames, allowed = STAFF[request.param]
    return make_staff("moderator", *codenames), allowed


@pytest.fixture
def photo(alice, bucket):
    return stored_photo(alice, "alices.jpg")


def test_api(client_for, staff, photo):
    user, (may_change, may_delete) = staff
    client = client_for(user)

    patched = client.patch(f"/api/photos/{photo.pk}", {"title": "Moderated"}, format="json")
    deleted = client.delete(f"/api/photos/{photo.pk}")

    assert patched.status_code == (200 if may_change else 403)
    assert deleted.status_code == (204 if may_delete else 403)
    assert Photo.objects.filter(pk=photo.pk, title="Moderated").exists() == (may_change and not may_delete)
    assert Photo.objects.filter(pk=photo.pk).exists() != may_delete


def test_pages(client, staff, photo):
    user, (may_change, may_delete) = staff
    client.force_login(user)

    page = client.get(f"/photos/{photo.pk}/").text
    edit = client.post(f"/photos/{photo.pk}/", {"title": "Moderated", "description": ""})
    confirm = client.get(f"/photos/{photo.pk}/delete/")

    assert ("Save changes" in page, f"/photos/{photo.pk}/delete/" in page) == (may_change, may_delete)
    assert edit.status_code == (302 if may_change else 403)
    assert confirm.status_code == (200 if may_delete else 403)
    assert client.post(f"/photos/{photo.pk}/delete/").status_code == (302 if may_delete else 403)
    assert Photo.objects.filter(pk=photo.pk).exists() != may_delete


def test_admin(client, staff, photo):
    user, (may_change, may_delete) = staff
    client.force_login(user)
    change = f"/admin/gallery/photo/{photo.pk}/change/"

    form = client.get(change)
    edit = client.post(change, {"title": "Moderated", "description": ""})
    delete = client.post(f"/admin/gallery/photo/{photo.pk}/delete/", {"post": "yes"})

    assert form.status_code == (200 if may_change else 403)
    assert edit.status_code == (302 if may_change else 403)
    assert delete.status_code == (302 if may_delete else 403)
    assert Photo.objects.filter(pk=photo.pk).exists() != may_delete


def test_owners_without_permissions_change_and_delete_their_own_everywhere(client, client_for, make_staff, bucket):
    owner = make_staff("owner")
    photos = [stored_photo(owner, f"own{n}.jpg") for n in range(3)]
    client.force_login(owner)

    assert client_for(owner).patch(f"/api/photos/{photos[0].pk}", {"title": "a"}, format="json").status_code == 200
    assert client.post(f"/photos/{photos[1].pk}/", {"title": "b", "description": ""}).status_code == 302
    assert (
        client.post(f"/admin/gallery/photo/{photos[2].pk}/change/", {"title": "c", "description": ""}).status_code
        == 302
    )
    assert client.post(f"/photos/{photos[0].pk}/delete/").status_code == 302
    assert client_for(owner).delete(f"/api/photos/{photos[1].pk}").status_code == 204
    assert client.post(f"/admin/gallery/photo/{photos[2].pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Photo.objects.exists()
