"""The gallery page: its tiles newest first offering the grid size, tiles for photos not ready, pages by the API's
cursor, the same queries whatever the page size, a bad cursor's 404."""

import re

import pytest

from gallery.jobs.photos import mark_failed
from gallery.models import rendition_key
from gallery.tests.support import image_bytes, stored_photo

pytestmark = pytest.mark.django_db


def test_empty_gallery_points_to_the_upload_page(logged_in):
    response = logged_in.get("/")

    assert response.status_code == 200
    assert "No photos yet" in response.text
    assert 'href="/upload/"' in response.text


def test_gallery_shows_thumbnails_newest_first_offering_the_grid_size(client, alice, bucket):
    photos = [stored_photo(alice, f"photo {n}.jpg", image_bytes("JPEG", (1000 + 2 * n, 500 + n))) for n in range(7)]

    html = client.get("/").text

    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 7
    for image, photo in zip(images, reversed(photos), strict=True):
        thumbnail, grid = (rendition_key(photo.image.name, name) for name in ("thumbnail", "grid"))
        assert re.search(rf'src="[^"]*/{thumbnail}\?[^"]*"', image)
        assert re.search(rf'srcset="[^"]*/{thumbnail}\?[^"]* 400w, [^"]*/{grid}\?[^"]* 800w"', image)
        assert 'width="400" height="200"' in image, "the thumbnail's size"
        assert f'alt="{photo.title}"' in image
        assert photo.image.name not in image, "the original is not downloaded"
    # The first viewport's tiles load at once (test_image_sizes.py has the lazy ones).
    assert not any('loading="lazy"' in image for image in images)


def test_photos_not_yet_processed_or_failed_get_a_tile_of_their_own(client, alice, bucket):
    ready = stored_photo(alice, "ready.jpg")
    processing = stored_photo(alice, "processing.jpg", processed=False)
    failed = stored_photo(alice, "failed.jpg", processed=False)
    mark_failed(
        failed.pk, "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."
    )

    html = client.get("/").text
    processing_page = client.get(processing.get_absolute_url()).text
    failed_page = client.get(failed.get_absolute_url()).text

    assert len(re.findall(r"<img [^>]*>", html)) == 1, "only the ready photo has an image: no broken one"
    assert '<span class="tile__pending tile__pending--processing">Processing…</span>' in html
    assert '<span class="tile__pending tile__pending--failed">Could not be processed</span>' in html
    for photo in (ready, processing, failed):
        assert f'href="/photos/{photo.pk}/"' in html and f">{photo.title}</span>" in html
    assert "This photo is being processed" in processing_page and "<img" not in processing_page
    assert "This photo could not be processed: Upload a valid image" in failed_page
    assert processing.image.name in processing_page, "the original is there as always"


def test_gallery_pages_use_the_apis_cursor(client, alice, bucket):
    titles = [stored_photo(alice, f"p{n}.jpg").title for n in range(3)]

    first = client.get("/?limit=2")
    next_url = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(next_url)

    assert re.findall(r'class="tile__title" aria-hidden="true">([^<]+)<', first.text) == titles[:0:-1]
    assert re.findall(r'class="tile__title" aria-hidden="true">([^<]+)<', second.text) == titles[:1]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_gallery_runs_the_same_queries_whatever_the_page_size(client, alice, django_assert_num_queries, bucket):
    for n in range(6):
        stored_photo(alice, f"p{n}.jpg")
    client.force_login(alice)

    # The session, its user, one query for the photos with their owners, and the albums the selection can go to.
    for limit in (1, 6):
        with django_assert_num_queries(4):
            assert client.get(f"/?limit={limit}").status_code == 200


def test_a_bad_cursor_is_a_404_in_the_sites_style(client):
    response = client.get("/?cursor=not-a-cursor")

    assert response.status_code == 404
    assert "There’s nothing here" in response.text and 'href="/"' in response.text
