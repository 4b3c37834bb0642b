"""Who sees what, from the outside: owner, staff, viewer, contributor, another user and anonymous, against public and
private photos and albums, through the API, the pages, the ZIP and the admin. What may not be seen answers 404.
The world they look at is visibility_world's; the trash, search and the library's pages are test_visibility_library's.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from gallery.models import Photo
from gallery.tests.support import distinct_image_bytes, visibility_world
from gallery.tests.support.visibility_world import ROLES, SEES, albums_of, copy_of, photo_name, photos_of

pytestmark = pytest.mark.django_db

world, api_as, page_as = visibility_world.world, visibility_world.api_as, visibility_world.page_as


def change_status(role, name):
    """What an API change of `name` answers `role`: only its owner and staff may; 404 to those who cannot see it."""
    if role == "anonymous":
        return 401
    if role in ("owner", "staff"):
        return 200
    return 403 if role in SEES[name] else 404


def test_the_photo_list_and_each_photo_through_the_api(world, api_as):
    for role in ROLES:
        client = api_as(role)
        listed = {item["id"] for item in client.get("/api/photos").json()}
        assert listed == {p.pk for name, p in photos_of(world).items() if role in SEES[name]}, role
        for name, photo in photos_of(world).items():
            response = client.get(f"/api/photos/{photo.pk}")
            assert response.status_code == (200 if role in SEES[name] else 404), (role, name)
            assert photo.is_visible_to(world.users[role] or AnonymousUser()) == (role in SEES[name])
            if response.status_code == 200:
                assert response.json()["visibility"] == photo.visibility


def test_changing_a_photo_through_the_api(world, api_as):
    for role in ROLES:
        for name, photo in photos_of(world).items():
            response = api_as(role).patch(f"/api/photos/{photo.pk}", {"title": f"by {role}"}, format="json")
            assert response.status_code == change_status(role, name), (role, name)


def test_the_gallery_and_photo_pages(world, page_as):
    for role in ROLES:
        client = page_as(role)
        html = client.get("/").text
        for name, photo in photos_of(world).items():
            assert (f'href="/photos/{photo.pk}/"' in html) == (role in SEES[name]), (role, name)
            status = client.get(f"/photos/{photo.pk}/").status_code
            assert status == (200 if role in SEES[name] else 404), (role, name)
            deletion = client.get(f"/photos/{photo.pk}/delete/").status_code
            expected = 200 if role in ("owner", "staff") else 403 if role in SEES[name] else 404
            assert deletion == expected, (role, name)


def test_albums_and_their_photos_through_the_api(world, api_as):
    for role in ROLES:
        client = api_as(role)
        listed = {item["id"] for item in client.get("/api/albums").json()}
        assert listed == {a.pk for name, a in albums_of(world).items() if role in SEES[name]}, role
        for name, album in albums_of(world).items():
            response = client.get(f"/api/albums/{album.pk}")
            assert response.status_code == (200 if role in SEES[name] else 404), (role, name)
            photos = client.get(f"/api/albums/{album.pk}/photos")
            if role not in SEES[name]:
                assert photos.status_code == 404, (role, name)
                continue
            # A private photo in a public album stays hidden from those who may not see the photo.
            seen = [item["id"] for item in photos.json()]
            expected = [p.pk for p in (world.public_photo, world.private_photo) if role in SEES[photo_name(world, p)]]
            assert seen == expected, (role, name)
            assert response.json()["photo_count"] == len(expected)


def test_changing_and_deleting_albums_through_the_api(world, api_as):
    for role in ROLES:
        for name, album in albums_of(world).items():
            client = api_as(role)
            changed = client.patch(f"/api/albums/{album.pk}", {"description": role}, format="json")
            expected = change_status(role, name)
            assert changed.status_code == expected, (role, name)
            if role not in ("owner", "staff"):
                assert client.delete(f"/api/albums/{album.pk}").status_code == expected, (role, name)

    assert api_as("staff").delete(f"/api/albums/{world.public_album.pk}").status_code == 204
    assert api_as("owner").delete(f"/api/albums/{world.private_album.pk}").status_code == 204
    assert Photo.objects.count() == 3, "deleting albums never deletes their photos"


def test_adding_and_removing_photos_in_albums_through_the_api(world, api_as):
    contributor = world.users["contributor"]
    theirs = copy_of(world.public_photo, owner=contributor, title="contributor's", visibility="private")
    for role in ROLES:
        for name, album in albums_of(world).items():
            client = api_as(role)
            own = {"owner": world.loose_private_photo, "contributor": theirs}.get(role, world.loose_private_photo)
            added = client.post(f"/api/albums/{album.pk}/photos", {"photo_ids": [own.pk]}, format="json")
            removed = client.delete(f"/api/albums/{album.pk}/photos", {"photo_ids": [own.pk]}, format="json")
            if role == "anonymous":
                assert (added.status_code, removed.status_code) == (401, 401)
            elif role in ("owner", "staff", "contributor"):
                assert added.status_code == 200 and added.json()["changed"] == 1, (role, name, added.json())
                assert removed.status_code == 200 and removed.json()["changed"] == 1, (role, name)
            else:
                expected = 403 if role in SEES[name] else 404
                assert (added.status_code, removed.status_code) == (expected, expected), (role, name)


def test_a_contributor_adds_and_removes_only_their_own_photos(world, api_as):
    client = api_as("contributor")
    album = world.private_album

    added = client.post(f"/api/albums/{album.pk}/photos", {"photo_ids": [world.loose_private_photo.pk]}, format="json")
    removed = client.delete(f"/api/albums/{album.pk}/photos", {"photo_ids": [world.public_photo.pk]}, format="json")

    # alice's photo is not theirs to add, nor to remove: the same answer as for an id that does not exist.
    assert added.status_code == 400 and str(world.loose_private_photo.pk) in added.json()["photo_ids"][0]
    assert removed.status_code == 400
    assert list(album.photos.order_by("album_entries__position")) == [world.public_photo, world.private_photo]


def test_members_are_seen_by_the_owner_staff_and_members_and_changed_by_the_owner_and_staff(world, api_as):
    album = world.private_album
    for role in ROLES:
        client = api_as(role)
        listed = client.get(f"/api/albums/{album.pk}/members")
        added = client.post(f"/api/albums/{album.pk}/members", {"user": "bob", "role": "viewer"}, format="json")
        if role == "anonymous":
            assert (listed.status_code, added.status_code) == (404, 401)
        elif role in ("owner", "staff"):
            assert listed.status_code == 200 and added.status_code == 200, role
            assert (
                api_as(role).delete(f"/api/albums/{album.pk}/members", {"user": "bob"}, format="json").status_code
                == 204
            )
        elif role in ("viewer", "contributor"):
            assert listed.status_code == 200 and added.status_code == 403, role
            assert {m["user"] for m in listed.json()} == {"viewer", "contributor"}
        else:
            assert (listed.status_code, added.status_code) == (404, 404), role


def test_the_album_pages(world, page_as):
    for role in ROLES:
        client = page_as(role)
        html = client.get("/albums/").text
        for name, album in albums_of(world).items():
            assert (f'href="/albums/{album.pk}/"' in html) == (role in SEES[name]), (role, name)
            page = client.get(f"/albums/{album.pk}/")
            assert page.status_code == (200 if role in SEES[name] else 404), (role, name)
            if page.status_code == 200:
                assert (f'href="/photos/{world.private_photo.pk}/"' in page.text) == (role in SEES["private_photo"])
            edit = client.get(f"/albums/{album.pk}/edit/").status_code
            expected = 200 if role in ("owner", "staff") else 403 if role in SEES[name] else 404
            assert edit == expected, (role, name)


def test_the_album_zip_holds_what_the_visitor_may_see(world, page_as):
    for role in ROLES:
        for name, album in albums_of(world).items():
            response = page_as(role).get(f"/albums/{album.pk}/download/")
            assert response.status_code == (200 if role in SEES[name] else 404), (role, name)
            if response.status_code == 200:
                body = b"".join(response.streaming_content)
                expected = 2 if role in SEES["private_photo"] else 1
                assert body.count(b"PK\x01\x02") == expected, (role, name)  # one central directory entry a file


def test_share_links_are_seen_and_made_only_by_the_owner_and_staff(world, api_as):
    link = api_as("owner").post("/api/share-links", {"album": world.private_album.pk}, format="json").json()
    for role in ROLES:
        client = api_as(role)
        made = client.post("/api/share-links", {"album": world.public_album.pk}, format="json")
        seen = client.get(f"/api/share-links/{link['id']}")
        if role == "anonymous":
            assert (made.status_code, seen.status_code) == (401, 401)
        elif role in ("owner", "staff"):
            assert (made.status_code, seen.status_code) == (201, 200), role
        else:
            assert (made.status_code, seen.status_code) == (400, 404), role
            assert client.delete(f"/api/share-links/{link['id']}").status_code == 404


def test_the_admin_is_for_staff_who_see_private_photos(world, page_as):
    changelist = page_as("staff").get("/admin/gallery/photo/")

    assert changelist.status_code == 200 and "loose" in changelist.text
    for role in ("owner", "viewer", "other", "anonymous"):
        assert page_as(role).get("/admin/gallery/photo/").status_code == 302, role


@override_settings(GALLERY_PUBLIC_SITE=False)
def test_a_private_site_shows_anonymous_visitors_only_the_login_page_and_share_links(world, page_as, api_as):
    link = api_as("owner").post("/api/share-links", {"album": world.private_album.pk}, format="json").json()
    anonymous = page_as("anonymous")

    for path in ("/", f"/photos/{world.public_photo.pk}/", "/albums/", f"/albums/{world.public_album.pk}/"):
        response = anonymous.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
    assert anonymous.get("/accounts/login/").status_code == 200
    assert anonymous.get(link["url"]).status_code == 200
    for path in ("/api/photos", f"/api/photos/{world.public_photo.pk}", "/api/albums"):
        assert api_as("anonymous").get(path).status_code == 401, path
    assert {item["id"] for item in api_as("other").get("/api/photos").json()} == {world.public_photo.pk}
    assert page_as("other").get("/").status_code == 200


def test_new_photos_and_albums_take_the_default_visibility(api, upload, settings):
    settings.GALLERY_DEFAULT_VISIBILITY = "private"
    private = upload(distinct_image_bytes()).json()
    public = upload(distinct_image_bytes(), visibility="public").json()
    album = api.post("/api/albums", {"title": "Holidays"}, format="json").json()

    assert (private["visibility"], public["visibility"], album["visibility"]) == ("private", "public", "private")
