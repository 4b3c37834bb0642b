"""Images sized and laid out for where they are shown: the grid's and the photo page's srcset, sizes and loading
order, the justified grid's tile shapes and its month headings.

Photos are stored and processed as their jobs do it (stored_photo); the renditions are fetched back from the real
S3 in test_renditions.py, and made by a real worker at the end of this file.
"""

import html
import re
from datetime import datetime
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from gallery.layout import class_ratio, tiles_css
from gallery.models import Photo, PhotoState, rendition_key
from gallery.shares.models import ShareLink
from gallery.tests.support import album_of, image_bytes, stored_photo, wait_until

# Nearly every test here stores photos: the bucket fixture deletes them after each.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bucket")]

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
    # A tile is its ratio times the row height wide: 140 px on a phone, 220 px from 600 px (site.css's .grid).
    assert attribute(wide_image, "sizes") == "(max-width: 599px) 280px, 440px"
    assert attribute(tall_image, "sizes") == "(max-width: 599px) 70px, 110px"
    for image in (wide_image, tall_image):
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
    Photo.objects.filter(pk=photo.pk).update(missing_renditions=["grid"])  # as migration 0009 leaves it

    (tile,) = images_of(client.get("/").text)
    (shown,) = images_of(client.get(photo.get_absolute_url()).text)

    assert candidates(tile) == [(keys(photo, "thumbnail")[0], 400)], "no candidate that is not in the bucket"
    assert candidates(shown) == [(keys(photo, "display")[0], 1600)]


def test_make_renditions_gives_older_photos_the_grid_size_and_a_placeholder_on_a_real_worker(worker, alice, capsys):
    photos = [stored_photo(alice, content=image_bytes("JPEG", (1200, 900 + n)), processed=False) for n in range(2)]
    wait_until(lambda: Photo.objects.filter(state=PhotoState.READY).count() == 2, "ready photos")
    older = photos[0]
    Photo.objects.filter(pk=older.pk).update(missing_renditions=["grid"], thumbhash="", average_colour="")

    call_command("make_renditions", "--wait")

    assert capsys.readouterr().out.splitlines()[0] == "Queued 1 photos (0 were queued already).", "only the older"
    older = Photo.objects.get(pk=older.pk)
    assert older.missing_renditions == [] and older.thumbhash and older.average_colour, "and its placeholder"
    grid = requests.get(older.renditions["grid"].url, timeout=10)
    assert grid.status_code == 200 and grid.headers["Content-Type"] == "image/webp"
    assert (older.renditions["grid"].width, older.renditions["grid"].height) == (800, 600)


def test_each_tile_has_its_photos_shape_and_sizes_from_it(client, alice):
    shapes = [(1200, 800), (800, 1200), (1000, 1000), (4000, 500)]
    photos = [stored_photo(alice, f"p{n}.jpg", image_bytes("JPEG", size)) for n, size in enumerate(shapes)]
    pending = stored_photo(alice, "pending.jpg", image_bytes("JPEG", (900, 1600)), processed=False)

    page = client.get("/").text

    tiles = re.findall(r'<li class="tile (ar-\d+)[^"]*" data-photo-id="(\d+)"', page)
    assert [int(pk) for _, pk in tiles] == [pending.pk, *(photo.pk for photo in reversed(photos))]
    ratios = dict((int(pk), class_ratio(int(name[3:]))) for name, pk in tiles)
    for photo, (width, height) in zip(photos, shapes, strict=True):
        assert ratios[photo.pk] == pytest.approx(min(width / height, 4), rel=0.01), "within 1%, 4:1 at most"
    assert ratios[pending.pk] == pytest.approx(900 / 1600, rel=0.01), "a pending tile has its photo's shape too"
    sizes = {
        int(pk): attribute(image, "sizes")
        for pk, image in re.findall(r'data-photo-id="(\d+)".*?(<img [^>]*>)', page, re.S)
    }
    assert (
        sizes[photos[0].pk]
        == f"(max-width: 599px) {round(ratios[photos[0].pk] * 140)}px, {round(ratios[photos[0].pk] * 220)}px"
    )
    assert (
        sizes[photos[1].pk]
        == f"(max-width: 599px) {round(ratios[photos[1].pk] * 140)}px, {round(ratios[photos[1].pk] * 220)}px"
    )


def test_the_stylesheet_has_a_class_for_every_ratio_a_tile_gets():
    assert (Path(settings.BASE_DIR) / "static/gallery/tiles.css").read_text() == tiles_css(), (
        "python -m gallery.layout > static/gallery/tiles.css"
    )


def test_month_headings_follow_the_date_taken_in_every_list_by_it(client, alice):
    for taken in ("2024-05-03 10:00", "2024-05-01 09:00", "2023-12-31 23:30", "2024-01-02 08:00"):
        photo = stored_photo(alice, f"{taken}.jpg")
        Photo.objects.filter(pk=photo.pk).update(taken_at=datetime.fromisoformat(taken), favorite=True)
    months = ["May 2024", "January 2024", "December 2023"]

    for path in ("/", "/people/alice/", "/search/?q=", "/favourites/"):
        client.force_login(alice)
        assert re.findall(r'<li class="grid__month"><h2>([^<]+)</h2></li>', client.get(path).text) == months, path
    by_upload = client.get("/?order=uploaded").text
    assert "grid__month" not in by_upload, "months of the date taken make no sense in the order of upload"
