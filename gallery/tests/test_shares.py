"""Share links from the outside: what a token opens, its password on every request, expiry, revocation, downloads,
and pre-signed URLs that stop working within GALLERY_SHARE_URL_SECONDS, fetched from the real S3."""

import re
import time
import zipfile
from datetime import timedelta
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone

from gallery.models import rendition_key
from gallery.shares.models import ShareLink
from gallery.tests.support import album_of, image_bytes, stored_photo

pytestmark = pytest.mark.django_db

PASSWORD = "open sesame"
KINDS = ("thumbnail", "display", "original")


@pytest.fixture
def album(alice, bucket):
    """alice's private album of a private and a public photo, and a photo of hers that is in no album."""
    photos = [
        stored_photo(alice, "first.jpg", image_bytes(size=(80, 60)), visibility="private"),
        stored_photo(alice, "second.png", image_bytes("PNG"), visibility="public"),
    ]
    album = album_of(alice, photos, "private", title="Summer")
    album.outsider = stored_photo(alice, "outsider.jpg", visibility="private")
    return album


def make_link(api, **fields):
    response = api.post("/api/share-links", fields, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def path_of(link):
    return urlsplit(link["url"]).path


def statuses(client, link, photo_ids):
    """What each URL under the link answers: the page, every image of every photo, the ZIP."""
    base = path_of(link)
    answers = {"page": client.get(base).status_code, "zip": client.get(f"{base}download/").status_code}
    for pk in photo_ids:
        for kind in KINDS:
            answers[f"{pk}/{kind}"] = client.get(f"{base}photos/{pk}/{kind}").status_code
    return answers


def test_a_link_is_a_random_token_of_256_bits_and_its_password_is_hashed(api, album):
    link = make_link(api, album=album.pk, password=PASSWORD, label="For grandma")

    token = re.fullmatch(r"http://testserver/s/([A-Za-z0-9_-]+)/", link["url"]).group(1)
    assert len(token) == 43, "32 random bytes"
    stored = ShareLink.objects.get(pk=link["id"])
    assert stored.token == token and stored.password.startswith("pbkdf2_sha256$") and PASSWORD not in stored.password
    assert "password" not in link and link["has_password"] is True
    assert (link["album"], link["photo"], link["label"], link["allow_download"]) == (
        album.pk,
        None,
        "For grandma",
        False,
    )
    assert timedelta(days=29, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=30), "30 days by default"
    never = make_link(api, album=album.pk, expires_in_days=None)
    assert never["expires_at"] is None
    assert api.post("/api/share-links", {"album": album.pk, "expires_in_days": 3}, format="json").status_code == 400


def test_a_link_shows_the_album_private_photos_too_through_its_own_image_urls(api, album, client):
    link = make_link(api, album=album.pk)
    photos = list(album.photos.order_by("album_entries__position"))

    page = client.get(path_of(link))

    assert page.status_code == 200
    tiles = re.findall(r'<li class="tile [^"]*" data-photo-id="(\d+)"', page.text)
    assert tiles == [str(photo.pk) for photo in photos]
    for photo in photos:
        assert f'src="{path_of(link)}photos/{photo.pk}/thumbnail"' in page.text
        assert photo.image.name not in page.text, "no S3 URL is in the page"
    assert "/accounts/login/" not in page.text and 'href="/albums/' not in page.text, "no way into the site"
    assert answers_ok(statuses(client, link, [p.pk for p in photos]), originals=False)


def answers_ok(answers, originals):
    """Every URL of the link works, except the originals when the link does not offer them."""
    return all(
        status == (404 if url.endswith("/original") and not originals else 302 if "/" in url else 200)
        for url, status in answers.items()
    )


def test_images_redirect_to_short_lived_urls_of_the_right_objects_stable_within_a_window(api, album, client, settings):
    settings.GALLERY_SHARE_URL_SECONDS = 600
    link = make_link(api, album=album.pk, allow_download=True)
    photo = album.photos.first()

    for kind, key in [(name, rendition_key(photo.image.name, name)) for name in ("thumbnail", "display")] + [
        ("original", photo.image.name)
    ]:
        first = client.get(f"{path_of(link)}photos/{photo.pk}/{kind}")
        again = client.get(f"{path_of(link)}photos/{photo.pk}/{kind}")
        target = first["Location"]
        assert first.status_code == 302 and urlsplit(target).path.endswith(f"/{key}")
        assert parse_qs(urlsplit(target).query)["X-Amz-Expires"] == ["600"]
        assert again["Location"] == target or kind == "original", "the same URL within a window, so browsers cache"
        assert "no-store" in first["Cache-Control"], "the redirect itself is asked for again each time"
        assert requests.get(target, timeout=10).status_code == 200


def test_a_photo_outside_the_shared_album_is_not_found_through_the_link(api, album, client):
    link = make_link(api, album=album.pk, allow_download=True)

    for kind in KINDS:
        assert client.get(f"{path_of(link)}photos/{album.outsider.pk}/{kind}").status_code == 404
    assert client.get(f"{path_of(link)}photos/{album.outsider.pk}/").status_code == 404
    assert client.get(f"{path_of(link)}photos/{album.photos.first().pk}/exif").status_code == 404
    assert client.get(f"{path_of(link)}photos/{2**70}/display").status_code == 404, "beyond bigint"


def test_a_link_to_one_photo_shows_that_photo_only(api, album, client):
    link = make_link(api, photo=album.outsider.pk)

    page = client.get(path_of(link))

    assert page.status_code == 200 and f"{path_of(link)}photos/{album.outsider.pk}/display" in page.text
    assert answers_ok(statuses(client, link, [album.outsider.pk]), originals=False)
    assert client.get(f"{path_of(link)}photos/{album.photos.first().pk}/display").status_code == 404


def test_expired_and_revoked_links_answer_404_everywhere(api, album, client):
    expired = make_link(api, album=album.pk, expires_in_days=1)
    revoked = make_link(api, album=album.pk)
    ids = list(album.photos.values_list("pk", flat=True))
    assert statuses(client, revoked, ids)["page"] == 200

    ShareLink.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.delete(f"/api/share-links/{revoked['id']}").status_code == 204

    for link in (expired, revoked):
        assert set(statuses(client, link, ids).values()) == {404}
    assert client.get("/s/not-a-token/").status_code == 404


def test_the_password_is_asked_on_every_request_and_remembered_for_that_link_alone(api, album, client):
    link = make_link(api, album=album.pk, password=PASSWORD, allow_download=True)
    other = make_link(api, album=album.pk, password=PASSWORD)
    ids = list(album.photos.values_list("pk", flat=True))

    form = client.get(path_of(link))
    assert form.status_code == 200 and 'name="password"' in form.text and '<li class="tile' not in form.text
    assert "Summer" not in form.text, "not even the title before the password"
    locked = statuses(client, link, ids)
    assert locked.pop("page") == 200 and set(locked.values()) == {404}, "every image and the ZIP need it too"

    wrong = client.post(path_of(link), {"password": "guess"})
    assert wrong.status_code == 200 and "That is not the password of this link." in wrong.text
    assert set(statuses(client, link, ids).values()) == {200, 404}

    right = client.post(path_of(link), {"password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == path_of(link)
    assert answers_ok(statuses(client, link, ids), originals=True)
    assert 'name="password"' in client.get(path_of(other)).text, "the other link still asks"
    assert Client().get(f"{path_of(link)}photos/{ids[0]}/display").status_code == 404, "another visitor too"

    # A new password locks out the sessions that knew the old one.
    assert api.patch(f"/api/share-links/{link['id']}", {"password": "new one"}, format="json").status_code == 200
    assert client.get(f"{path_of(link)}photos/{ids[0]}/display").status_code == 404


def test_wrong_passwords_are_throttled_per_link_and_address(api, album, client, settings):
    settings.GALLERY_SHARE_PASSWORD_ATTEMPTS_PER_HOUR = 3
    link = make_link(api, album=album.pk, password=PASSWORD)
    other = make_link(api, album=album.pk, password=PASSWORD)

    for _ in range(3):
        assert client.post(path_of(link), {"password": "guess"}).status_code == 200
    refused = client.post(path_of(link), {"password": PASSWORD})

    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many wrong passwords" in refused.text
    assert client.post(path_of(other), {"password": PASSWORD}).status_code == 302, "another link is not affected"
    from_elsewhere = Client(REMOTE_ADDR="203.0.113.9").post(path_of(link), {"password": PASSWORD})
    assert from_elsewhere.status_code == 302, "nor another address"


def test_right_passwords_do_not_spend_the_wrong_ones_budget(api, album, settings):
    settings.GALLERY_SHARE_PASSWORD_ATTEMPTS_PER_HOUR = 2
    link = make_link(api, album=album.pk, password=PASSWORD)

    for _ in range(4):
        assert Client().post(path_of(link), {"password": PASSWORD}).status_code == 302
    assert [Client().post(path_of(link), {"password": "guess"}).status_code for _ in range(3)] == [200, 200, 429]


def test_originals_only_when_allowed_and_never_while_they_keep_their_location(api, album, client, settings):
    link = make_link(api, album=album.pk, allow_download=True)
    photo = album.photos.first()
    original = f"{path_of(link)}photos/{photo.pk}/original"
    assert client.get(original).status_code == 302
    assert zip_names(client.get(f"{path_of(link)}download/")) == ["0001 first.jpg", "0002 second.png"]

    settings.GALLERY_KEEP_LOCATION = True

    assert client.get(original).status_code == 404
    assert zip_names(client.get(f"{path_of(link)}download/")) == ["0001 first.webp", "0002 second.webp"]
    assert "Download the original" not in client.get(f"{path_of(link)}photos/{photo.pk}/").text


def zip_names(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(BytesIO(b"".join(response.streaming_content))).namelist()


def test_the_page_counts_views_and_has_open_graph_tags_through_the_link(api, album, client):
    link = make_link(api, album=album.pk)
    cover = album.photos.order_by("-created_at").first()

    html = client.get(path_of(link)).text
    client.get(path_of(link))

    assert '<meta property="og:title" content="Summer">' in html
    assert f'<meta property="og:image" content="{link["url"]}photos/{cover.pk}/thumbnail">' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    stored = ShareLink.objects.get(pk=link["id"])
    assert stored.views == 2 and stored.last_viewed_at is not None
    assert api.get(f"/api/share-links/{link['id']}").json()["views"] == 2


def test_an_image_url_from_a_revoked_link_stops_working_within_the_share_url_lifetime(api, album, client, settings):
    settings.GALLERY_SHARE_URL_SECONDS = 2
    link = make_link(api, album=album.pk)
    photo = album.photos.first()
    url = client.get(f"{path_of(link)}photos/{photo.pk}/display")["Location"]
    assert requests.get(url, timeout=10).status_code == 200

    assert api.delete(f"/api/share-links/{link['id']}").status_code == 204
    assert client.get(f"{path_of(link)}photos/{photo.pk}/display").status_code == 404
    signed_at = time.mktime(time.strptime(parse_qs(urlsplit(url).query)["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    time.sleep(max(0, signed_at - time.mktime(time.gmtime()) + 2 + 1.5))

    assert requests.get(url, timeout=10).status_code == 403, "S3 refuses it once the lifetime has passed"


def test_the_owners_pages_make_list_and_revoke_links(alice, album, client, make_user):
    client.force_login(alice)

    made = client.post(
        f"/shares/new/?album={album.pk}",
        {"label": "Family", "expires_in": "7", "new_password": PASSWORD, "allow_download": "on"},
    )
    link = ShareLink.objects.get()
    listing = client.get("/shares/").text

    assert made.status_code == 302 and link.check_password(PASSWORD) and link.allow_download
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)
    assert f'value="http://testserver/s/{link.token}/"' in listing and "Family" in listing
    bob = Client()
    bob.force_login(make_user("bob"))
    assert bob.get(f"/shares/new/?album={album.pk}").status_code == 404, "not bob's album to share"
    assert f"/s/{link.token}/" not in bob.get("/shares/").text
    assert bob.post(f"/shares/{link.pk}/revoke/").status_code == 404
    assert client.post(f"/shares/{link.pk}/revoke/").status_code == 302
    assert not ShareLink.objects.exists() and client.get(f"/s/{link.token}/").status_code == 404
