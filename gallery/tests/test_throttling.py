"""Upload rate limits: per user, per client address, shared by every process, answered 429 with Retry-After."""

import json
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from gallery.models import Photo
from gallery.tests.support import current_database_url, image_bytes, run_django, stored_keys

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_counts_yet():
    """Counts from earlier tests (transactional ones commit theirs) must not spend these tests' budget."""
    cache.clear()


def assert_refused(response, before_keys, before_rows):
    """A 429 in JSON with a Retry-After of at most an hour, and nothing stored."""
    assert response.status_code == 429, response.content
    assert "throttled" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 3600
    assert stored_keys() == before_keys and Photo.objects.count() == before_rows


@override_settings(GALLERY_UPLOADS_PER_HOUR=2, GALLERY_UPLOADS_PER_HOUR_PER_IP=100)
def test_uploads_per_user_whatever_the_address(upload, api, client_for, make_user, bucket):
    assert [upload(image_bytes()).status_code for _ in range(2)] == [201, 201]
    keys, rows = stored_keys(), Photo.objects.count()

    assert_refused(upload(image_bytes(), REMOTE_ADDR="203.0.113.7"), keys, rows)

    assert upload(image_bytes(), client=client_for(make_user("bob"))).status_code == 201, "bob has his own count"
    assert api.get("/api/photos").status_code == 200, "only uploads are limited"
    photo = Photo.objects.filter(owner__username="alice").first()
    assert api.patch(f"/api/photos/{photo.pk}", {"title": "still editable"}, format="json").status_code == 200


@override_settings(GALLERY_UPLOADS_PER_HOUR=100, GALLERY_UPLOADS_PER_HOUR_PER_IP=2)
def test_uploads_per_address_whoever_logs_in(upload, client_for, make_user):
    bob = client_for(make_user("bob"))
    assert upload(image_bytes(), REMOTE_ADDR="203.0.113.1").status_code == 201
    assert upload(image_bytes(), client=bob, REMOTE_ADDR="203.0.113.1").status_code == 201
    keys, rows = stored_keys(), Photo.objects.count()

    assert_refused(upload(image_bytes(), client=bob, REMOTE_ADDR="203.0.113.1"), keys, rows)

    assert upload(image_bytes(), client=bob, REMOTE_ADDR="203.0.113.2").status_code == 201


@override_settings(GALLERY_ALLOW_ANONYMOUS_UPLOADS=True, GALLERY_UPLOADS_PER_HOUR_PER_IP=2)
def test_anonymous_uploads_are_limited_per_address(upload, client_for):
    anonymous = client_for(None)
    statuses = [upload(image_bytes(), client=anonymous, REMOTE_ADDR="203.0.113.3").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    assert upload(image_bytes(), client=anonymous, REMOTE_ADDR="203.0.113.4").status_code == 201


@override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=1)
def test_clients_cannot_choose_their_address_with_x_forwarded_for(upload):
    assert upload(image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 201
    assert upload(image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429


@override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=1, REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})
def test_behind_one_proxy_the_address_it_appends_counts(upload):
    """The proxy connects from 127.0.0.1 and appends the client's address; what the client sent before it is ignored."""
    assert upload(image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 201
    assert upload(image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 201
    assert upload(image_bytes(), HTTP_X_FORWARDED_FOR="203.0.113.50, 198.51.100.1").status_code == 429


@override_settings(GALLERY_UPLOADS_PER_HOUR=2)
def test_upload_page_shares_the_api_count_and_keeps_what_was_typed(upload, client, alice, bucket):
    client.force_login(alice)
    assert upload(image_bytes()).status_code == 201
    page_file = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    assert client.post("/upload/", {"photo": page_file, "title": "One"}, REMOTE_ADDR="203.0.113.5").status_code == 302
    stored = stored_keys()

    refused = client.post(
        "/upload/",
        {"photo": SimpleUploadedFile("q.jpg", image_bytes(), content_type="image/jpeg"), "title": "Two"},
        REMOTE_ADDR="203.0.113.5",
    )

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many uploads: try again in " in refused.text and 'value="Two"' in refused.text
    assert Photo.objects.count() == 2 and stored_keys() == stored
    assert upload(image_bytes()).status_code == 429, "the page's uploads count for the API too"


@pytest.mark.django_db(transaction=True)
def test_counts_are_shared_between_processes(tmp_path, upload):
    """Another process (a second gunicorn worker) spends the address's budget; this one then refuses."""
    code = """
import json, django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from gallery.throttling import upload_wait
request = RequestFactory().post("/upload/", REMOTE_ADDR="203.0.113.9")
request.user = AnonymousUser()
print(json.dumps([upload_wait(request) is None for _ in range(3)]))
"""
    environ = {key: os.environ[key] for key in os.environ if key.startswith("AWS_")}
    result = run_django(
        code,
        tmp_path / "no.env",
        **environ,
        SECRET_KEY="test-only",
        DATABASE_URL=current_database_url(),
        GALLERY_UPLOADS_PER_HOUR_PER_IP="2",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True, False]

    with override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=2):
        assert upload(image_bytes(), REMOTE_ADDR="203.0.113.9").status_code == 429
        assert upload(image_bytes(), REMOTE_ADDR="203.0.113.10").status_code == 201


def test_schema_documents_the_429_and_its_retry_after(client_for):
    schema = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    refused = schema["paths"]["/api/photos/"]["post"]["responses"]["429"]
    assert "Retry-After" in refused["headers"]
