"""The grids' selection toolbar without JavaScript, through Django's test client: which lists offer Favourite,
Unfavourite and Move to trash, and who may post them (all or nothing)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery.models import Photo
from gallery.tests.support import album_of, stored_photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bucket")]

BUTTONS = {
    "Favourite": 'formaction="/photos/favourite/" name="favorite" value="1"',
    "Unfavourite": 'formaction="/photos/favourite/" name="favorite" value="0"',
    "Move to trash": 'formaction="/photos/trash/"',
}


@pytest.fixture
def photos(alice):
    photos = [stored_photo(alice, f"p{n}.jpg") for n in range(3)]
    Photo.objects.filter(pk=photos[0].pk).update(favorite=True)
    return photos


def checkboxes(html):
    return [int(pk) for pk in re.findall(r'class="tile__check" name="photo" value="(\d+)" form="selection"', html)]


def trashed(*photos):
    return [Photo.all_objects.get(pk=photo.pk).trashed_at is not None for photo in photos]


def test_every_list_of_yours_offers_the_bulk_actions_beside_the_album_ones(client, alice, photos):
    album = album_of(alice, photos, title="All three")
    client.force_login(alice)

    newest_first = [photo.pk for photo in reversed(photos)]
    lists = {
        "/": newest_first,
        "/people/alice/": newest_first,
        "/search/?q=p": newest_first,
        "/favourites/": [photos[0].pk],
        f"/albums/{album.pk}/": [photo.pk for photo in photos],
    }

    for path, selectable in lists.items():
        html = client.get(path).text
        assert 'id="selection"' in html and all(button in html for button in BUTTONS.values()), path
        assert "/static/gallery/select." in html and checkboxes(html) == selectable, path
    gallery = client.get("/").text
    assert 'aria-label="Select p0"' in gallery and gallery.count('class="tile__star"') == 1, "the favourite's star"
    assert 'id="selection-status" role="status"' in gallery and 'id="selection-count" aria-live="polite"' in gallery


def test_others_see_no_selection_on_photos_they_may_not_change(client, photos, make_user):
    client.force_login(make_user("bob"))

    for path in ("/", "/people/alice/", "/search/?q=p"):
        html = client.get(path).text
        assert checkboxes(html) == [] and 'id="selection"' not in html and "/static/gallery/select." not in html, path


def test_the_toolbars_move_to_trash_posts_the_checkboxes_and_goes_back(client, alice, photos):
    client.force_login(alice)

    response = client.post("/photos/trash/", {"photo": [photos[0].pk, photos[2].pk], "next": "/?limit=2"})

    assert response.status_code == 302 and response["Location"] == "/?limit=2"
    assert trashed(*photos) == [True, False, True]
    assert "Moved 2 photos to the trash." in client.get("/").text
    assert checkboxes(client.get("/").text) == [photos[1].pk]
    assert checkboxes(client.get("/trash/").text) == [], "the trash has its own buttons"
    nothing = client.post("/photos/trash/", {"next": "/"}, follow=True)
    assert "Select one or more photos first." in nothing.text and trashed(photos[1]) == [False]
    # The photo page's field name is taken too, and a photo already in the trash stays there.
    client.post("/photos/trash/", {"photo_ids": [photos[1].pk], "photo": [photos[0].pk]})
    assert trashed(*photos) == [True, True, True]


def test_without_the_trash_the_button_deletes(client, alice, photos, settings):
    settings.GALLERY_TRASH_DAYS = 0
    client.force_login(alice)

    assert ">Delete</button>" in client.get("/").text
    response = client.post("/photos/trash/", {"photo": [photos[0].pk]}, follow=True)

    assert "Deleted 1 photo." in response.text and not Photo.all_objects.filter(pk=photos[0].pk).exists()


def test_the_toolbars_favourite_and_unfavourite(client, alice, photos):
    client.force_login(alice)

    starred = client.post("/photos/favourite/", {"photo": [photos[1].pk, photos[2].pk], "favorite": "1"}, follow=True)
    assert "Added 2 photos to your favourites." in starred.text
    assert set(Photo.objects.filter(favorite=True).values_list("pk", flat=True)) == {p.pk for p in photos}
    unstarred = client.post("/photos/favourite/", {"photo": [photos[0].pk], "favorite": "0", "next": "/"}, follow=True)
    assert "Unstarred 1 photo." in unstarred.text and unstarred.text.count('class="tile__star"') == 2


def test_others_get_404_for_what_they_cannot_see_and_403_for_what_they_may_not_change(client, alice, make_user):
    bob = make_user("bob")
    bobs = stored_photo(bob, "bobs.jpg")
    public, private = stored_photo(alice, "public.jpg"), stored_photo(alice, "private.jpg", visibility="private")
    client.force_login(bob)

    for path, fields in (("/photos/trash/", {}), ("/photos/favourite/", {"favorite": "1"})):
        assert client.post(path, {"photo": [bobs.pk, private.pk], **fields}).status_code == 404, path
        assert client.post(path, {"photo": [bobs.pk, public.pk], **fields}).status_code == 403, path
        assert client.post(path, {"photo": ["nonsense"], **fields}).status_code == 404, path
    assert trashed(bobs, public, private) == [False, False, False], "nothing half done"
    assert not Photo.objects.filter(favorite=True).exists()
    assert client.get("/photos/trash/").status_code == 405
    client.logout()
    assert client.post("/photos/trash/", {"photo": [public.pk]}).status_code == 403
    assert trashed(public) == [False]


@pytest.mark.parametrize(
    ("codenames", "may_star", "may_trash"),
    [((), False, False), (("change_photo",), True, False), (("change_photo", "delete_photo"), True, True)],
)
def test_staff_act_on_others_photos_with_the_permission(client, make_staff, photos, codenames, may_star, may_trash):
    client.force_login(make_staff("moderator", *codenames))
    ids = [photos[1].pk, photos[2].pk]

    star = client.post("/photos/favourite/", {"photo": ids, "favorite": "1"})
    move = client.post("/photos/trash/", {"photo": ids})

    assert (star.status_code, move.status_code) == (302 if may_star else 403, 302 if may_trash else 403)
    assert Photo.all_objects.filter(pk__in=ids, favorite=True).count() == (2 if may_star else 0)
    assert trashed(*photos) == [False, may_trash, may_trash]


@pytest.mark.parametrize("path", ["/people/alice/", "/search/?q=p", "/favourites/"])
def test_the_selection_costs_the_same_queries_whatever_the_page_size(client, alice, make_user, path):
    for n in range(6):
        stored_photo(alice, f"p{n}.jpg")
    Photo.objects.update(favorite=True)

    for user in (alice, make_user("bob")):
        client.force_login(user)
        counts = set()
        for limit in (1, 6):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"{path}{'&' if '?' in path else '?'}limit={limit}").status_code == 200
            counts.add(len(queries))
        assert len(counts) == 1, (user, path, counts)
