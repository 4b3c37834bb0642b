"""Pre-signed URLs: standard SigV4 that the real S3 accepts, identical through a window, and plain behind a CDN."""

import time
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.credentials import Credentials
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from gallery.models import Photo, rendition_key
from gallery.storage import QueryStringSigner
from gallery.tests.support import image_bytes, processed_photo, storages_with

EXPIRE = settings.AWS_QUERYSTRING_EXPIRE
BUCKET = settings.AWS_STORAGE_BUCKET_NAME
# A moment in the middle of a signing window, so that a second before and after it sign alike.
NOW = 1_800_000_000 + EXPIRE // 4


def signer_at(now, credentials=None, storage=default_storage):
    """The storage's signer, with its clock stopped at `now`."""
    client = storage.connection.meta.client
    credentials = credentials or storage.signer.credentials
    return QueryStringSigner(client, storage.bucket_name, credentials, EXPIRE, clock=lambda: now)


def botocore_url(key, signed_at, client=None):
    """boto3's own pre-signed URL of `key`, signed at `signed_at` (a Unix time)."""
    client = client or default_storage.connection.meta.client
    moment = datetime.fromtimestamp(signed_at, UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        return client.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=EXPIRE)


@pytest.mark.parametrize("key", ["photos/0123abcd.thumbnail.webp", "photos/a b+c~é%.jpg"])
def test_the_url_is_the_one_botocore_signs_at_the_start_of_the_window(key):
    signed_at = NOW - NOW % (EXPIRE // 2)

    assert signer_at(NOW).url(key) == botocore_url(key, signed_at)


def test_temporary_credentials_sign_their_session_token_too():
    credentials = Credentials("ASIATEMPORARYKEY", "temporary-secret", token="session/token+with=odd chars")
    client = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name="eu-west-3",
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=settings.AWS_S3_CLIENT_CONFIG,
    )
    ours = urlsplit(QueryStringSigner(client, BUCKET, credentials, EXPIRE, clock=lambda: NOW).url("photos/x.jpg"))
    theirs = urlsplit(botocore_url("photos/x.jpg", NOW - NOW % (EXPIRE // 2), client))

    assert (ours.netloc, ours.path) == (theirs.netloc, theirs.path)
    assert parse_qs(ours.query) == parse_qs(theirs.query)
    assert parse_qs(ours.query)["X-Amz-Security-Token"] == ["session/token+with=odd chars"]


def test_a_url_stays_the_same_through_its_window_and_is_valid_for_half_the_expiry_or_more():
    window = EXPIRE // 2
    start = NOW - NOW % window
    urls = {}
    for now in range(start, start + 3 * window, 97):
        url = signer_at(now).url("photos/k.jpg")
        query = parse_qs(urlsplit(url).query)
        signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        assert signed_at <= now, "never signed in the future"
        assert signed_at + int(query["X-Amz-Expires"][0]) - now >= EXPIRE / 2
        urls.setdefault((now - start) // window, set()).add(url)
    assert [len(same) for same in urls.values()] == [1, 1, 1], "one URL per window"
    assert len(set().union(*urls.values())) == 3


def test_the_real_s3_serves_the_url_refuses_it_tampered_with_and_once_it_has_expired(bucket):
    name = default_storage.save("photos/signed-url-test.jpg", ContentFile(image_bytes()))
    now = time.time()

    fresh = signer_at(now).url(name)
    oldest_valid = signer_at(now - EXPIRE // 2 + 60).url(name)
    expired = signer_at(now - EXPIRE - EXPIRE // 2).url(name)
    other_key = fresh.replace("signed-url-test", "signed-url-tesT")

    assert requests.get(fresh, timeout=10).content == image_bytes()
    assert default_storage.url(name) == fresh, "what the storage hands out"
    assert requests.get(oldest_valid, timeout=10).status_code == 200
    assert requests.get(expired, timeout=10).status_code == 403
    assert requests.get(other_key, timeout=10).status_code == 403
    assert requests.get(fresh[:-1] + ("0" if fresh[-1] != "0" else "1"), timeout=10).status_code == 403


@pytest.mark.django_db
def test_with_a_custom_domain_renditions_have_plain_unsigned_urls(upload):
    photo = processed_photo(upload(image_bytes()).json()["id"])

    with override_settings(STORAGES=storages_with(custom_domain="photos.example.com")):
        photo = Photo.objects.get(pk=photo.pk)
        urls = {name: rendition.url for name, rendition in photo.renditions.items()}

    assert urls == {name: f"https://photos.example.com/{rendition_key(photo.image.name, name)}" for name in urls}
