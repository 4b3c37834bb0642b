"""Rate limits: uploads per user and address, log-in and sign-up forms per address, atomic and shared by every
process, IPv6 counted by /64, answered 429 with Retry-After."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory, override_settings

from gallery.counters import RateCount, count_hit
from gallery.models import Photo
from gallery.tests.support import current_database_url, distinct_image_bytes, image_bytes, run_django, stored_keys
from gallery.throttling import client_ip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_counts_yet():
    """Counts from earlier tests (transactional ones commit theirs) must not spend these tests' budget."""
    RateCount.objects.all().delete()


def assert_refused(response, before_keys, before_rows):
    """A 429 in JSON with a Retry-After of at most an hour, and nothing stored."""
    assert response.status_code == 429, response.content
    assert "throttled" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 3600
    assert stored_keys() == before_keys and Photo.objects.count() == before_rows


@override_settings(GALLERY_UPLOADS_PER_HOUR=2, GALLERY_UPLOADS_PER_HOUR_PER_IP=100)
def test_uploads_per_user_whatever_the_address(upload, api, client_for, make_user, bucket):
    assert [upload(distinct_image_bytes()).status_code for _ in range(2)] == [201, 201]
    keys, rows = stored_keys(), Photo.objects.count()

    assert_refused(upload(distinct_image_bytes(), REMOTE_ADDR="203.0.113.7"), keys, rows)

    bob = client_for(make_user("bob"))
    assert upload(distinct_image_bytes(), client=bob).status_code == 201, "bob has his own count"
    assert api.get("/api/photos").status_code == 200, "only uploads are limited"
    photo = Photo.objects.filter(owner__username="alice").first()
    assert api.patch(f"/api/photos/{photo.pk}", {"title": "still editable"}, format="json").status_code == 200


@override_settings(GALLERY_UPLOADS_PER_HOUR=100, GALLERY_UPLOADS_PER_HOUR_PER_IP=2)
def test_uploads_per_address_whoever_logs_in(upload, client_for, make_user):
    bob = client_for(make_user("bob"))
    assert upload(distinct_image_bytes(), REMOTE_ADDR="203.0.113.1").status_code == 201
    assert upload(distinct_image_bytes(), client=bob, REMOTE_ADDR="203.0.113.1").status_code == 201
    keys, rows = stored_keys(), Photo.objects.count()

    assert_refused(upload(distinct_image_bytes(), client=bob, REMOTE_ADDR="203.0.113.1"), keys, rows)

    assert upload(distinct_image_bytes(), client=bob, REMOTE_ADDR="203.0.113.2").status_code == 201


@override_settings(GALLERY_ALLOW_ANONYMOUS_UPLOADS=True, GALLERY_UPLOADS_PER_HOUR_PER_IP=2)
def test_anonymous_uploads_are_limited_per_address(upload, client_for):
    anonymous = client_for(None)
    statuses = [
        upload(distinct_image_bytes(), client=anonymous, REMOTE_ADDR="203.0.113.3").status_code for _ in range(3)
    ]

    assert statuses == [201, 201, 429]
    assert upload(distinct_image_bytes(), client=anonymous, REMOTE_ADDR="203.0.113.4").status_code == 201


@override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=1)
def test_clients_cannot_choose_their_address_with_x_forwarded_for(upload):
    assert upload(distinct_image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 201
    assert upload(distinct_image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429


@override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=1, REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})
def test_behind_one_proxy_the_address_it_appends_counts(upload):
    """The proxy connects from 127.0.0.1 and appends the client's address; what the client sent before it is ignored."""
    assert upload(distinct_image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 201
    assert upload(distinct_image_bytes(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 201
    assert upload(distinct_image_bytes(), HTTP_X_FORWARDED_FOR="203.0.113.50, 198.51.100.1").status_code == 429


@override_settings(GALLERY_UPLOADS_PER_HOUR=2)
def test_upload_page_shares_the_api_count_and_keeps_what_was_typed(upload, client, alice, bucket):
    client.force_login(alice)
    assert upload(distinct_image_bytes()).status_code == 201
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
    assert upload(distinct_image_bytes()).status_code == 429, "the page's uploads count for the API too"


@pytest.mark.django_db(transaction=True)
def test_counts_are_shared_between_processes(tmp_path, upload):
    """Another process (a second gunicorn worker) spends the address's budget; this one then refuses."""
    code = """
import json, django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from gallery.throttling import UPLOAD_THROTTLES, throttle_wait
request = RequestFactory().post("/upload/", REMOTE_ADDR="203.0.113.9")
request.user = AnonymousUser()
print(json.dumps([throttle_wait(request, UPLOAD_THROTTLES) is None for _ in range(3)]))
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
        assert upload(distinct_image_bytes(), REMOTE_ADDR="203.0.113.9").status_code == 429
        assert upload(distinct_image_bytes(), REMOTE_ADDR="203.0.113.10").status_code == 201


def test_schema_documents_the_429_and_its_retry_after(client_for):
    schema = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    refused = schema["paths"]["/api/photos/"]["post"]["responses"]["429"]
    assert "Retry-After" in refused["headers"]


# --- Log-in and sign-up forms per address ---

LOGIN_FORMS = ["/accounts/login/", "/admin/login/", "/api-auth/login/", "/accounts/signup/"]


def send_form(path, address, n=0):
    """A fresh browser posting `path`'s form from `address`, a wrong password or an unusable sign-up."""
    fields = {"username": f"guess{n}", "password": "guess", "password1": "a", "password2": "b"}
    return Client().post(path, fields, REMOTE_ADDR=address)


@override_settings(GALLERY_LOGINS_PER_HOUR_PER_IP=3, AXES_FAILURE_LIMIT=100)
@pytest.mark.parametrize("path", LOGIN_FORMS)
def test_login_and_signup_forms_are_limited_per_address_before_any_password_check(path, django_assert_num_queries):
    statuses = [send_form(path, "203.0.113.30", n).status_code for n in range(3)]
    attempts = AccessAttempt.objects.count()

    # The count's one statement, and the session the page's header reads: no user, no password hash.
    with django_assert_num_queries(1):
        refused = send_form(path, "203.0.113.30", 3)

    assert statuses == [200] * 3
    assert refused.status_code == 429 and "too many login attempts" in refused.text
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert AccessAttempt.objects.count() == attempts, "django-axes saw no attempt: no password was checked"
    assert send_form(path, "203.0.113.31").status_code == 200, "another address has its own count"


@override_settings(GALLERY_LOGINS_PER_HOUR_PER_IP=2, AXES_FAILURE_LIMIT=100)
def test_the_login_pages_and_signup_share_the_count(make_user):
    make_user("carol")
    assert send_form("/admin/login/", "203.0.113.32").status_code == 200
    assert send_form("/accounts/signup/", "203.0.113.32").status_code == 200

    right_password = Client().post(
        "/accounts/login/", {"username": "carol", "password": "correct horse battery"}, REMOTE_ADDR="203.0.113.32"
    )

    assert right_password.status_code == 429
    assert Client().get("/accounts/login/", REMOTE_ADDR="203.0.113.32").status_code == 200, "pages still show"


@override_settings(GALLERY_LOGINS_PER_HOUR_PER_IP=2, AXES_FAILURE_LIMIT=100)
def test_ipv6_addresses_count_by_their_64():
    assert send_form("/accounts/login/", "2001:db8:1:2::1").status_code == 200
    assert send_form("/accounts/login/", "2001:db8:1:2:ffff:ffff:ffff:ffff").status_code == 200

    assert send_form("/accounts/login/", "2001:db8:1:2:abcd::9").status_code == 429, "the same /64"
    assert send_form("/accounts/login/", "2001:db8:1:3::1").status_code == 200, "the next /64"


@override_settings(AXES_FAILURE_LIMIT=2)
def test_axes_locks_an_ipv6_64_whatever_the_address_in_it():
    send_form("/accounts/login/", "2001:db8:5:5::1", 1)
    send_form("/accounts/login/", "2001:db8:5:5::2", 2)

    locked = send_form("/accounts/login/", "2001:db8:5:5::3", 3)

    assert locked.status_code == 429 and "too many login attempts" in locked.text
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:5:5::"}


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("2001:db8:aa:bb:cc:dd:ee:ff", "2001:db8:aa:bb::"),
        ("not an address", "127.0.0.9"),
    ],
)
def test_client_ip_groups_ipv6_by_64(address, counted_as):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=address)

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        assert client_ip(request) == counted_as


@override_settings(GALLERY_UPLOADS_PER_HOUR_PER_IP=1)
def test_uploads_count_ipv6_by_64(upload):
    assert upload(image_bytes(), REMOTE_ADDR="2001:db8:7:7::1").status_code == 201
    assert upload(image_bytes(), REMOTE_ADDR="2001:db8:7:7::2").status_code == 429


# --- The counter ---


def test_a_window_starts_again_once_it_has_ended():
    assert [count_hit("test:key", 60).count for _ in range(3)] == [1, 2, 3]
    RateCount.objects.filter(key="test:key").update(window_ends=time.time() - 1)

    hit = count_hit("test:key", 60)

    assert hit.count == 1 and 59 < hit.seconds_left <= 60


def test_ended_windows_are_deleted_when_a_new_one_starts():
    count_hit("test:old", 60)
    RateCount.objects.filter(key="test:old").update(window_ends=time.time() - 1)

    count_hit("test:new", 60)

    assert set(RateCount.objects.values_list("key", flat=True)) == {"test:new"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_lose_no_count():
    """8 threads, each with its own database connection, count 300 hits of one key: every count is seen once."""

    def hits(_):
        try:
            return [count_hit("test:concurrent", 3600).count for _ in range(300 // 8 + 1)]
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        counts = [count for batch in pool.map(hits, range(8)) for count in batch]

    assert sorted(counts) == list(range(1, len(counts) + 1))
