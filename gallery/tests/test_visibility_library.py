"""Who sees what of the library, from the outside: a photo in the trash (at its address, in lists, albums, share
links and ZIPs), the album filter, search, and the pages of favourites and people, for each role of
visibility_world. What may not be seen answers 404."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from gallery.models import Photo
from gallery.tests.support import visibility_world
from gallery.tests.support.visibility_world import ROLES, SEES, album_name, albums_of, photo_name, photos_of

pytestmark = pytest.mark.django_db

world, api_as, page_as = visibility_world.world, visibility_world.api_as, visibility_world.page_as


# Who sees a photo in the trash at its own address: those who may delete it (the world's staff may), among those
# who may see it at all. Nobody sees it in a list, an album, a search, a share link or a ZIP.
SEES_IN_TRASH = {"owner", "staff"}


def trashed(world, *photos):
    Photo.all_objects.filter(pk__in=[photo.pk for photo in photos]).update(trashed_at=timezone.now())


def test_a_photo_in_the_trash_is_seen_only_at_its_address_by_who_may_delete_it(world, api_as, page_as):
    trashed(world, world.public_photo, world.private_photo)
    for role in ROLES:
        api, page = api_as(role), page_as(role)
        visible = {world.loose_private_photo.pk} if role in SEES["loose_private_photo"] else set()
        for path in ("/api/photos", "/api/photos?q=private", "/api/photos?owner=alice", "/api/photos?order=uploaded"):
            assert {item["id"] for item in api.get(path).json()} <= visible, (role, path)
        html = page.get("/").text + page.get("/search/?q=private").text + page.get("/people/alice/").text
        for photo in (world.public_photo, world.private_photo):
            assert f'href="/photos/{photo.pk}/"' not in html, role
            expected = 200 if role in SEES_IN_TRASH else 404
            assert api.get(f"/api/photos/{photo.pk}").status_code == expected, role
            assert page.get(f"/photos/{photo.pk}/").status_code == expected, role
            assert photo.is_visible_to(world.users[role] or AnonymousUser()) == (role in SEES_IN_TRASH), role
        assert not Photo.objects.visible_to(world.users[role] or AnonymousUser()).in_trash().exists(), role
    in_trash = {world.public_photo.pk, world.private_photo.pk}
    assert set(Photo.all_objects.trash_of(world.users["owner"]).values_list("pk", flat=True)) == in_trash
    assert not Photo.all_objects.trash_of(world.users["staff"]).exists(), "the trash page is of one's own"


def test_a_photo_in_the_trash_leaves_its_albums_share_links_and_zips_until_restored(world, api_as, page_as):
    owner = api_as("owner")
    album_link = owner.post("/api/share-links", {"album": world.public_album.pk}, format="json").json()
    photo_link = owner.post("/api/share-links", {"photo": world.public_photo.pk}, format="json").json()
    trashed(world, world.public_photo, world.private_photo)
    anonymous = page_as("anonymous")

    for role in ROLES:
        for album in albums_of(world).values():
            if role not in SEES[album_name(world, album)]:
                continue
            response = api_as(role).get(f"/api/albums/{album.pk}")
            assert response.json()["photo_count"] == 0 and response.json()["cover_photo"] is None, role
            assert api_as(role).get(f"/api/albums/{album.pk}/photos").json() == [], role
            assert 'href="/photos/' not in page_as(role).get(f"/albums/{album.pk}/").text, role
            body = b"".join(page_as(role).get(f"/albums/{album.pk}/download/").streaming_content)
            assert body.count(b"PK\x01\x02") == 0, role
    shared = anonymous.get(album_link["url"])
    assert shared.status_code == 200 and f"/photos/{world.public_photo.pk}/" not in shared.text
    base = album_link["url"].rstrip("/")
    assert anonymous.get(f"{base}/photos/{world.public_photo.pk}/").status_code == 404
    assert anonymous.get(f"{base}/photos/{world.public_photo.pk}/display").status_code == 404
    assert b"PK\x01\x02" not in b"".join(anonymous.get(f"{base}/download/").streaming_content)
    assert anonymous.get(photo_link["url"]).status_code == 404, "a link to a photo in the trash is dead"

    restored = owner.post("/api/trash/restore", {"photo_ids": [world.public_photo.pk]}, format="json")

    assert restored.status_code == 200
    assert [item["id"] for item in owner.get(f"/api/albums/{world.public_album.pk}/photos").json()] == [
        world.public_photo.pk
    ], "back in its album, in its place"
    assert anonymous.get(photo_link["url"]).status_code == 200
    assert f"/photos/{world.public_photo.pk}/" in anonymous.get(album_link["url"]).text


@pytest.mark.parametrize(
    ("codenames", "sees_private", "sees_trashed"),
    [((), True, False), (("change_photo",), True, False), (("delete_photo",), True, True)],
)
def test_staff_see_private_photos_and_only_those_allowed_to_delete_photos_see_the_trash(
    world, make_staff, client_for, codenames, sees_private, sees_trashed
):
    client = client_for(make_staff("moderator", *codenames))
    trashed(world, world.public_photo)

    assert (client.get(f"/api/photos/{world.loose_private_photo.pk}").status_code == 200) == sees_private
    assert (client.get(f"/api/photos/{world.public_photo.pk}").status_code == 200) == sees_trashed
    restore = client.post("/api/trash/restore", {"photo_ids": [world.public_photo.pk]}, format="json")
    assert restore.status_code == (200 if sees_trashed else 404)


def test_others_cannot_tell_a_private_photo_in_the_trash_from_one_that_does_not_exist(world, api_as):
    trashed(world, world.private_photo)
    for role in ("viewer", "contributor", "other"):
        client = api_as(role)
        for path in ("/api/photos/trash", "/api/trash/restore", "/api/trash/purge", "/api/photos/favorite"):
            for pk in (world.private_photo.pk, 999999):
                response = client.post(path, {"photo_ids": [pk]}, format="json")
                assert (response.status_code, response.json()["photo_ids"]) == (404, [pk]), (role, path, pk)
    assert Photo.all_objects.get(pk=world.private_photo.pk).trashed_at is not None


def test_the_album_filter_gives_the_photos_the_visitor_may_see_of_an_album_they_may_see(world, api_as, page_as):
    for role in ROLES:
        for name, album in albums_of(world).items():
            response = api_as(role).get(f"/api/photos?album={album.pk}")
            if role not in SEES[name]:
                # The same answer as for an album that does not exist: what it holds is not told.
                assert response.status_code == 400 and "album" in response.json(), (role, name)
                assert response.json() == api_as(role).get("/api/photos?album=999999").json()
                continue
            expected = {p.pk for p in (world.public_photo, world.private_photo) if role in SEES[photo_name(world, p)]}
            assert {item["id"] for item in response.json()} == expected, (role, name)

    viewer = page_as("viewer").get(f"/search/?album={world.private_album.pk}").text
    assert f'href="/photos/{world.private_photo.pk}/"' in viewer
    assert f'href="/photos/{world.loose_private_photo.pk}/"' not in viewer, "not in the album"
    other = page_as("other").get(f"/search/?album={world.private_album.pk}")
    assert other.status_code == 200 and 'href="/photos/' not in other.text and "Private" not in other.text


def linked_photos(html):
    return {photo_id for photo_id in map(int, re.findall(r'href="/photos/(\d+)/"', html))}


def test_search_filters_and_a_persons_page_show_only_the_photos_the_visitor_may_see(world, api_as, page_as):
    Photo.objects.update(favorite=True)  # alice starred them all: the filter shows others no private one of hers
    for role in ROLES:
        api, page = api_as(role), page_as(role)
        seen = {photo.pk for name, photo in photos_of(world).items() if role in SEES[name]}
        for query in ("owner=alice", "favorite=true", "owner=alice&order=uploaded", "camera=&q="):
            assert {item["id"] for item in api.get(f"/api/photos?{query}").json()} == seen, (role, query)
            assert linked_photos(page.get(f"/search/?{query}").text) == seen, (role, query)
        for name, photo in photos_of(world).items():
            found = {item["id"] for item in api.get(f"/api/photos?q={photo.title}").json()}
            assert found == ({photo.pk} if role in SEES[name] else set()), (role, name)
            assert (photo.pk in linked_photos(page.get(f"/search/?q={photo.title}").text)) == (role in SEES[name])
        assert linked_photos(page.get("/people/alice/").text) == seen, role


def test_a_person_none_of_whose_photos_may_be_seen_answers_404_as_a_stranger_does(world, page_as):
    Photo.objects.filter(pk=world.public_photo.pk).update(visibility="private")  # now in private albums only
    for role in ROLES:
        expected = 200 if role in SEES["private_photo"] else 404
        assert page_as(role).get("/people/alice/").status_code == expected, role
        assert page_as(role).get("/people/nobody/").status_code == 404, role
    bobs_own = page_as("other").get("/people/bob/")
    assert bobs_own.status_code == 200 and "No photos yet" in bobs_own.text, "one's own page, empty"
    assert page_as("owner").get("/people/bob/").status_code == 404


def test_the_favourites_page_shows_ones_own_stars_only(world, page_as):
    Photo.objects.update(favorite=True)
    for role in ROLES:
        response = page_as(role).get("/favourites/")
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        else:
            expected = set(photos_of(world)) if role == "owner" else set()
            assert linked_photos(response.text) == {getattr(world, name).pk for name in expected}, role
