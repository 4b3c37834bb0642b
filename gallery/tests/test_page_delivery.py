"""How pages are delivered: gzip for the pages and the JSON (not for ZIPs), a meta description on every page, and
an early connection to where the images are."""

import gzip
import html
import os
import re
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from gallery.shares.models import ShareLink
from gallery.tests.support import album_of, storages_with, stored_photo

# Nearly every test here stores photos: the bucket fixture deletes them after each.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bucket")]

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def descriptions(page):
    return [html.unescape(found) for found in re.findall(r'<meta name="description" content="([^"]*)">', page)]


def test_pages_and_json_are_compressed_when_the_browser_accepts_gzip(client, alice):
    for n in range(12):
        stored_photo(alice, f"photo {n}.jpg")

    plain = client.get("/")
    compressed = client.get("/", **GZIP)
    api = client.get("/api/photos", **GZIP)

    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed["Vary"]
    page = gzip.decompress(compressed.content).decode()
    assert page.count('<li class="tile') == 12 and page.endswith("</html>\n")
    assert len(compressed.content) < len(plain.content) / 3, "a gallery page is mostly repeated markup"
    assert api["Content-Encoding"] == "gzip" and api["Content-Type"] == "application/json"
    assert len(gzip.decompress(api.content).decode()) > 1000


def test_each_compressed_response_differs_in_length_against_breach(client, alice):
    stored_photo(alice, "photo.jpg")

    lengths = {len(client.get("/", **GZIP).content) for _ in range(8)}

    assert len(lengths) > 1, "Django pads each compressed response by a random length"


def test_a_zip_download_is_not_compressed_again(client, alice):
    album = album_of(alice, [stored_photo(alice, "photo.jpg")], "public")

    response = client.get(f"/albums/{album.pk}/download/", **GZIP)

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "Content-Encoding" not in response
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_every_page_has_one_meta_description_and_a_photos_is_its_own(client, alice):
    photo = stored_photo(alice, "lake.jpg", title="Lake at dawn", description="Mist over the water")
    album = album_of(alice, [photo], "public", title="Summer", description="Two weeks by the lakes")
    link = ShareLink.objects.create(photo=photo, created_by=alice)
    anonymous = ["/", "/search/", "/people/alice/", "/albums/", "/accounts/login/", "/accounts/signup/", "/nope/"]

    for path in [*anonymous, "log in", "/", "/upload/", "/favourites/", "/trash/", "/shares/"]:
        if path == "log in":
            client.force_login(alice)
            continue
        response = client.get(path)
        assert response.status_code in (200, 404), path
        (description,) = descriptions(response.text)
        assert len(description) > 30, path
    assert descriptions(client.get(photo.get_absolute_url()).text) == ["Lake at dawn: Mist over the water"]
    assert descriptions(client.get(album.get_absolute_url()).text) == ["The album Summer: Two weeks by the lakes"]
    assert descriptions(client.get(f"/s/{link.token}/").text) == ["Lake at dawn: Mist over the water"]


def test_pages_open_a_connection_to_the_images_origin_before_their_first_image(client, alice):
    """A phone on a slow network saves the connection's round trips before the first image (Lighthouse counts
    them in the largest paint)."""
    stored_photo(alice, "photo.jpg")

    page = client.get("/").content.decode()

    (origin,) = re.findall(r'<link rel="preconnect" href="([^"]+)">', page)
    first_image = re.search(r'<img src="([^"]+)"', page).group(1)
    assert origin == "{0.scheme}://{0.netloc}".format(urlsplit(html.unescape(first_image)))
    assert page.index("preconnect") < page.index("<img")


@pytest.mark.parametrize(
    ("options", "origin"),
    [
        ({"custom_domain": "photos.example.com/gallery"}, "https://photos.example.com"),
        ({"querystring_auth": False}, os.environ["AWS_S3_ENDPOINT_URL"]),
    ],
)
def test_the_preconnect_follows_a_custom_domain_and_unsigned_urls(client, options, origin):
    with override_settings(STORAGES=storages_with(**options)):
        page = client.get("/accounts/login/")

    assert re.findall(r'<link rel="preconnect" href="([^"]+)">', page.content.decode()) == [origin]
