"""Images sized for where they are shown: the grid's and the photo page's srcset, sizes and loading order.

Photos are stored and processed as their jobs do it (stored_photo); the renditions are fetched back from the real
S3 in test_renditions.py, and made by a real worker at the end of this file.
"""

import html
import re

import pytest
import requests
from django.core.management import call_command

from gallery.models import Photo, PhotoState, rendition_key
from gallery.shares.models import ShareLink
from gallery.tests.conftest import album_of, image_bytes, stored_photo, wait_until

pytestmark = pytest.mark.django_db

GRID_SIZES = "(max-width: 499px) calc(50vw - 1rem), 340px"
PHOTO_SIZES = "(min-width: 960px) min(calc(100vw - 28rem), 832px), 94vw"


def images_of(page):
    return re.findall(r"<img [^>]*>", page)


def attribute(image, name):
    found = re.search(rf'\s{name}="([^"]*)"', image)
    return found and html.unescape(found.group(1))


def candidates(image):
    """[(the key in the URL, the width descriptor)] of an img's srcset."""
    return [
        (re.search(r"photos/[0-9a-f]+\.\w+\.webp", url).group(0), int(width[:-1]))
        for url, width in (candidate.split() for candidate in attribute(image, "srcset").split(", "))
    ]


def keys(photo, *names):
    return [rendition_key(photo.image.name, name) for name in names]


def test_the_grid_offers_the_thumbnail_and_the_grid_size_for_tiles_of_its_width(client, alice):
    wide = stored_photo(alice, "wide.jpg", image_bytes("JPEG", (2000, 1000)))
    tall = stored_photo(alice, "tall.jpg", image_bytes("JPEG", (900, 1800)))

    tall_image, wide_image = images_of(client.get("/").text)

    assert candidates(wide_image) == list(zip(keys(wide, "thumbnail", "grid"), [400, 800], strict=True))
    assert candidates(tall_image) == list(zip(keys(tall, "thumbnail", "grid"), [200, 400], strict=True))
    for image in (wide_image, tall_image):
        assert attribute(image, "sizes") == GRID_SIZES
        assert ".display.webp" not in image, "the display size is the photo page's, not the grid's"
    assert (attribute(wide_image, "width"), attribute(wide_image, "height")) == ("400", "200")
    assert (attribute(tall_image, "width"), attribute(tall_image, "height")) == ("200", "400")


def test_the_first_viewports_tiles_load_at_once_and_the_first_first(client, alice):
    for n in range(21):
        stored_photo(alice, f"p{n}.jpg")

    images = images_of(client.get("/?limit=21").text)

    assert [attribute(image, "loading") for image in images] == [None] * 20 + ["lazy"]
    assert [attribute(image, "fetchpriority") for image in images] == ["high"] + [None] * 20


def test_the_photo_page_offers_the_grid_and_display_sizes_and_keeps_its_shape(client, alice):
    photo = stored_photo(alice, "tall.jpg", image_bytes("JPEG", (1000, 2000)))

    (image,) = images_of(client.get(photo.get_absolute_url()).text)

    assert candidates(image) == list(zip(keys(photo, "grid", "display"), [400, 800], strict=True))
    assert attribute(image, "sizes") == PHOTO_SIZES
    assert (attribute(image, "width"), attribute(image, "height")) == ("800", "1600")
    assert attribute(image, "fetchpriority") == "high" and attribute(image, "loading") is None


def test_a_shared_album_offers_the_same_sizes_through_its_link(client, alice):
    photo = stored_photo(alice, "wide.jpg", image_bytes("JPEG", (2000, 1000)), visibility="private")
    link = ShareLink.objects.create(album=album_of(alice, [photo], "private"), created_by=alice)
    base = f"/s/{link.token}/photos/{photo.pk}"

    (tile,) = images_of(client.get(f"/s/{link.token}/").text)
    (shown,) = images_of(client.get(f"{base}/").text)

    assert attribute(tile, "srcset") == f"{base}/thumbnail 400w, {base}/grid 800w"
    assert attribute(shown, "srcset") == f"{base}/grid 800w, {base}/display 1600w"
    grid = client.get(f"{base}/grid")
    assert grid.status_code == 302 and rendition_key(photo.image.name, "grid") in grid["Location"]


def test_photos_made_before_the_grid_size_leave_it_out_until_it_is_made(client, alice):
    photo = stored_photo(alice, "wide.jpg", image_bytes("JPEG", (2000, 1000)))
    Photo.objects.filter(pk=photo.pk).update(missing_renditions=["grid"])  # as migration 0008 leaves it

    (tile,) = images_of(client.get("/").text)
    (shown,) = images_of(client.get(photo.get_absolute_url()).text)

    assert candidates(tile) == [(keys(photo, "thumbnail")[0], 400)], "no candidate that is not in the bucket"
    assert candidates(shown) == [(keys(photo, "display")[0], 1600)]


def test_make_renditions_gives_older_photos_the_grid_size_on_a_real_worker(worker, alice, capsys):
    photos = [stored_photo(alice, content=image_bytes("JPEG", (1200, 900 + n)), processed=False) for n in range(2)]
    wait_until(lambda: Photo.objects.filter(state=PhotoState.READY).count() == 2, "ready photos")
    older = photos[0]
    Photo.objects.filter(pk=older.pk).update(missing_renditions=["grid"])

    call_command("make_renditions", "--wait")

    assert capsys.readouterr().out.splitlines()[0] == "Queued 1 photos (0 were queued already).", "only the older"
    older = Photo.objects.get(pk=older.pk)
    assert older.missing_renditions == []
    grid = requests.get(older.renditions["grid"].url, timeout=10)
    assert grid.status_code == 200 and grid.headers["Content-Type"] == "image/webp"
    assert (older.renditions["grid"].width, older.renditions["grid"].height) == (800, 600)
