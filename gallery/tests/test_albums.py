"""Albums through the API and the pages: creating, adding in order, removing, arranging, covers, members, paging,
the grid's selection, and the ZIP streamed from S3."""

import re
import zipfile
from io import BytesIO

import pytest
from django.core.files.storage import default_storage

from gallery.albums.models import Album, AlbumPhoto
from gallery.models import Photo
from gallery.tests.support import album_of, image_bytes, stored_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos(alice, bucket):
    return [stored_photo(alice, f"p{n}.jpg", image_bytes(size=(40 + n, 30), color=(n * 40, 90, 20))) for n in range(4)]


def ids(response):
    return [item["id"] for item in response.json()]


def test_create_add_in_order_and_read_an_album(api, photos):
    created = api.post("/api/albums", {"title": "Trip", "description": "By the sea"}, format="json")
    album = created.json()
    assert created.status_code == 201
    assert {k: album[k] for k in ("title", "visibility", "owner", "photo_count", "cover_photo", "role")} == {
        "title": "Trip",
        "visibility": "public",
        "owner": "alice",
        "photo_count": 0,
        "cover_photo": None,
        "role": "owner",
    }

    first = api.post(f"/api/albums/{album['id']}/photos", {"photo_ids": [photos[2].pk, photos[0].pk]}, format="json")
    again = api.post(f"/api/albums/{album['id']}/photos", {"photo_ids": [photos[0].pk, photos[3].pk]}, format="json")

    assert first.json() == {"changed": 2, "photo_count": 2}
    assert again.json() == {"changed": 1, "photo_count": 3}, "a photo already in stays where it is"
    listed = api.get(f"/api/albums/{album['id']}/photos")
    assert ids(listed) == [photos[2].pk, photos[0].pk, photos[3].pk]
    detail = api.get(f"/api/albums/{album['id']}").json()
    assert detail["photo_count"] == 3 and detail["cover_photo"] == photos[3].pk, "the newest photo by default"
    assert ".thumbnail.webp?" in detail["cover_url"]


def test_album_photos_page_through_the_link_header_in_album_order(api, alice, photos):
    album = album_of(alice, photos)

    seen, url = [], f"/api/albums/{album.pk}/photos?limit=3"
    while url:
        response = api.get(url)
        seen += ids(response)
        match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
        url = match and match.group(1)

    assert seen == [photo.pk for photo in photos]


def test_bad_photo_ids_are_refused_whole(api, alice, photos, make_user):
    album = album_of(alice, photos[:1])
    bobs = stored_photo(make_user("bob"), "bobs.jpg")

    hostile = ({"photo_ids": []}, {"photo_ids": ["x"]}, {}, {"photo_ids": [2**70]}, {"photo_ids": [0]})
    for body in (*hostile, {"photo_ids": [photos[1].pk, bobs.pk, 999999]}):
        response = api.post(f"/api/albums/{album.pk}/photos", body, format="json")
        assert response.status_code == 400, body
    assert "999999" in response.json()["photo_ids"][0] and str(bobs.pk) in response.json()["photo_ids"][0]
    assert list(album.photos.all()) == photos[:1], "nothing was added"
    assert api.delete(f"/api/albums/{album.pk}/photos", {"photo_ids": [photos[2].pk]}, format="json").status_code == 400


def test_removing_photos_keeps_them_and_deleting_a_photo_takes_it_out_of_its_albums(api, alice, photos):
    album = album_of(alice, photos)
    album.cover = photos[1]
    album.save()

    removed = api.delete(f"/api/albums/{album.pk}/photos", {"photo_ids": [photos[1].pk]}, format="json")
    api.delete(f"/api/photos/{photos[2].pk}")

    assert removed.json() == {"changed": 1, "photo_count": 3}
    assert Photo.objects.filter(pk=photos[1].pk).exists()
    assert ids(api.get(f"/api/albums/{album.pk}/photos")) == [photos[0].pk, photos[3].pk]
    assert api.get(f"/api/albums/{album.pk}").json()["cover"] is None, "its removed cover goes back to the newest"


def test_the_cover_is_one_of_the_albums_photos(api, alice, photos):
    album = album_of(alice, photos[:2])

    chosen = api.patch(f"/api/albums/{album.pk}", {"cover": photos[0].pk}, format="json")
    outside = api.patch(f"/api/albums/{album.pk}", {"cover": photos[3].pk}, format="json")

    assert chosen.status_code == 200 and chosen.json()["cover_photo"] == photos[0].pk
    assert outside.status_code == 400 and "cover" in outside.json()
    assert api.patch(f"/api/albums/{album.pk}", {"cover": None}, format="json").json()["cover_photo"] == photos[1].pk


def test_a_private_cover_is_not_shown_to_those_who_may_not_see_it(alice, photos, client_for):
    private = stored_photo(alice, "private.jpg", visibility="private")
    album = album_of(alice, [photos[0], private], cover=private)

    seen = client_for(None).get(f"/api/albums/{album.pk}").json()

    assert (seen["cover_photo"], seen["photo_count"]) == (photos[0].pk, 1)


def test_the_album_list_costs_the_same_queries_however_many_albums(api, alice, photos, django_assert_num_queries):
    for n in range(5):
        album_of(alice, photos[: n % 4 + 1], title=f"album {n}")

    # The token, the albums with their counts, covers and roles, and the covers' photos.
    for limit in (1, 5):
        with django_assert_num_queries(3):
            assert len(api.get(f"/api/albums?limit={limit}").json()) == limit


def test_members_are_added_changed_and_removed_by_the_owner(api, alice, make_user, client_for):
    album = album_of(alice, visibility="private")
    bob = make_user("bob")
    bob_api = client_for(bob)
    assert bob_api.get(f"/api/albums/{album.pk}").status_code == 404

    assert api.post(f"/api/albums/{album.pk}/members", {"user": "bob"}, format="json").json()["role"] == "viewer"
    assert bob_api.get(f"/api/albums/{album.pk}").json()["role"] == "viewer"
    changed = api.post(f"/api/albums/{album.pk}/members", {"user": "bob", "role": "contributor"}, format="json")
    assert changed.json()["role"] == "contributor" and album.memberships.count() == 1
    for body in ({"user": "nobody"}, {"user": "alice"}, {"user": "bob", "role": "admin"}):
        assert api.post(f"/api/albums/{album.pk}/members", body, format="json").status_code == 400, body
    assert api.delete(f"/api/albums/{album.pk}/members", {"user": "bob"}, format="json").status_code == 204
    assert bob_api.get(f"/api/albums/{album.pk}").status_code == 404


def test_the_schema_documents_the_album_and_share_link_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/albums/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/albums/{id}/"])
    assert {"get", "post", "delete"} <= set(paths["/api/albums/{id}/photos/"])
    assert "requestBody" in paths["/api/albums/{id}/photos/"]["delete"]
    assert {"get", "post", "delete"} <= set(paths["/api/albums/{id}/members/"])
    assert {"get", "post"} <= set(paths["/api/share-links/"]) and "/api/share-links/{id}/" in paths
    assert "visibility" in schema["components"]["schemas"]["Photo"]["properties"]
    assert "url" in schema["components"]["schemas"]["ShareLink"]["properties"]


# --- Pages ---


def test_pages_create_edit_and_delete_an_album_and_its_photos_stay(logged_in, alice, photos):
    created = logged_in.post("/albums/new/", {"title": "Garden", "description": "", "visibility": "private"})
    album = Album.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/albums/{album.pk}/"
    assert logged_in.post("/albums/new/", {"title": "", "visibility": "public"}).status_code == 200

    edited = logged_in.post(f"/albums/{album.pk}/edit/", {"title": "Garden 2025", "visibility": "public"})
    assert edited.status_code == 302 and Album.objects.get().title == "Garden 2025"

    AlbumPhoto.objects.create(album=album, photo=photos[0], position=1)
    assert "Delete this album?" in logged_in.get(f"/albums/{album.pk}/delete/").text
    assert logged_in.post(f"/albums/{album.pk}/delete/").status_code == 302
    assert not Album.objects.exists() and Photo.objects.count() == 4


def test_the_gallery_selection_adds_photos_to_an_album(logged_in, alice, photos):
    album = album_of(alice, title="Best of")

    gallery = logged_in.get("/").text
    assert gallery.count('class="tile__check"') == 4 and f'<option value="{album.pk}">Best of</option>' in gallery
    response = logged_in.post(
        "/albums/add-photos/", {"album": album.pk, "photo": [photos[1].pk, photos[3].pk, photos[0].pk], "next": "/"}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert [p.pk for p in album.photos.order_by("album_entries__position")] == [
        photos[1].pk,
        photos[3].pk,
        photos[0].pk,
    ]
    assert "Added 3 photos to “Best of”." in logged_in.get("/").text
    no_album = logged_in.post("/albums/add-photos/", {"photo": [photos[2].pk], "next": "/"}, follow=True)
    assert "Choose an album" in no_album.text
    nothing = logged_in.post("/albums/add-photos/", {"album": album.pk, "next": "/"}, follow=True)
    assert "Select one or more photos first." in nothing.text


def test_another_users_photos_have_no_checkbox_and_cannot_be_added(logged_in, alice, photos, make_user):
    bobs = stored_photo(make_user("bob"), "bobs.jpg")
    album = album_of(alice)

    gallery = logged_in.get("/").text
    refused = logged_in.post("/albums/add-photos/", {"album": album.pk, "photo": [bobs.pk]}, follow=True)

    assert f'id="select-{bobs.pk}"' not in gallery and f'id="select-{photos[0].pk}"' in gallery
    assert f"No photo you may add has the id {bobs.pk}." in refused.text and not album.photos.exists()


def test_the_album_page_removes_arranges_and_sets_the_cover(logged_in, alice, photos):
    album = album_of(alice, photos, title="Arranged")

    page = logged_in.get(f"/albums/{album.pk}/").text
    assert re.findall(r'data-photo-id="(\d+)"', page) == [str(p.pk) for p in photos]
    assert f'value="{photos[1].pk}:{photos[0].pk}"' in page, "each tile's button moving it to its neighbour's place"

    logged_in.post(f"/albums/{album.pk}/move/", {"move": f"{photos[3].pk}:{photos[0].pk}"})
    logged_in.post(f"/albums/{album.pk}/remove-photos/", {"photo": [photos[1].pk]})
    logged_in.post(f"/albums/{album.pk}/cover/", {"photo": [photos[2].pk]})
    moved = logged_in.post(
        f"/albums/{album.pk}/move/", {"move": f"{photos[0].pk}:{photos[2].pk}"}, HTTP_ACCEPT="application/json"
    )

    assert moved.json() == {"detail": "Moved."}
    assert [p.pk for p in album.photos.order_by("album_entries__position")] == [
        photos[3].pk,
        photos[2].pk,
        photos[0].pk,
    ]
    album.refresh_from_db()
    assert album.cover_id == photos[2].pk
    bad = logged_in.post(f"/albums/{album.pk}/move/", {"move": "nonsense"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400


def test_a_viewer_sees_no_controls_and_may_not_arrange(client, alice, photos, make_user):
    viewer = make_user("viewer")
    album = album_of(alice, photos, visibility="private", members=[(viewer, "viewer")])
    client.force_login(viewer)

    page = client.get(f"/albums/{album.pk}/").text
    move = {"move": f"{photos[3].pk}:{photos[0].pk}"}
    moved = client.post(f"/albums/{album.pk}/move/", move, HTTP_ACCEPT="application/json")

    assert 'class="tile__check"' not in page and 'id="arrange"' not in page and "Edit and members" not in page
    assert moved.status_code == 403


def test_the_album_zip_streams_each_original_from_s3(logged_in, alice, photos):
    album = album_of(alice, [photos[2], photos[0]], title='Sea: "2025"')

    response = logged_in.get(f"/albums/{album.pk}/download/")
    body = b"".join(response.streaming_content)

    assert response["Content-Disposition"] == 'attachment; filename="Sea   2025.zip"'
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(BytesIO(body))
    assert archive.namelist() == ["0001 p2.jpg", "0002 p0.jpg"]
    for name, photo in zip(archive.namelist(), (photos[2], photos[0]), strict=True):
        with default_storage.open(photo.image.name) as stored:
            assert archive.read(name) == stored.read()
