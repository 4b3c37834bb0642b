"""Failed-login lockout, HTTPS in production, and the security headers: CSP, nosniff, Referrer-Policy."""

import json
import os
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from botocore.config import Config
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient
from storages.backends.s3 import S3Storage

from gallery.tests.support import current_database_url, distinct_image_bytes, run_django
from photosite.security import photo_origins, source_hash

PASSWORD = "correct horse battery"


# --- Failed logins ---


def log_in(path, username, password, address="203.0.113.20"):
    """A fresh browser posting the login form from `address`."""
    return Client().post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def is_locked_out(response):
    return response.status_code == 429 and b"too many login attempts" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/", "/api-auth/login/"])
def test_failed_logins_lock_out_the_address_whatever_the_usernames(make_user, path):
    make_user("admin", is_staff=True)
    make_user("bob", is_staff=True)

    failures = [log_in(path, f"guess{n}", "guess") for n in range(settings.AXES_FAILURE_LIMIT)]

    assert [response.status_code for response in failures[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert is_locked_out(failures[-1])
    refused = log_in(path, "admin", PASSWORD)
    assert is_locked_out(refused), "the right password is refused too"
    assert "sessionid" not in refused.cookies
    assert is_locked_out(log_in(path, "bob", PASSWORD)), "and every other user at the address"
    assert log_in(path, "admin", PASSWORD, address="203.0.113.21").status_code == 302, "another address may log in"


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off_time(make_user):
    make_user("admin", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("/admin/login/", "admin", "guess")
    assert is_locked_out(log_in("/admin/login/", "admin", PASSWORD))

    earlier = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - earlier)

    assert log_in("/admin/login/", "admin", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(make_user):
    make_user("admin", is_staff=True)
    below_limit = settings.AXES_FAILURE_LIMIT - 1
    for _ in range(below_limit):
        log_in("/admin/login/", "admin", "guess")
    assert log_in("/admin/login/", "admin", PASSWORD).status_code == 302

    statuses = [log_in("/admin/login/", "admin", "guess").status_code for _ in range(below_limit)]

    assert statuses == [200] * below_limit


@pytest.mark.django_db
def test_api_tokens_and_sessions_work_while_the_password_is_locked_out(upload, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("/api-auth/login/", "alice", "guess", address="127.0.0.1")
    assert is_locked_out(log_in("/api-auth/login/", "alice", PASSWORD, address="127.0.0.1"))

    assert upload(distinct_image_bytes()).status_code == 201, "by token"
    session = APIClient()
    session.force_login(alice)
    by_session = upload(distinct_image_bytes(), client=session)
    assert by_session.status_code == 201 and by_session.json()["owner"] == "alice"


# --- HTTPS and check --deploy, in fresh processes with a production environment ---


def production(**changes):
    """The environment of a production deployment on this run's database and bucket."""
    environ = {key: os.environ[key] for key in os.environ if key.startswith("AWS_")}
    environ.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="photos.example.com",
        DATABASE_URL=current_database_url(),
    )
    environ.update(changes)
    return environ


DEPLOY_CHECK = """
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
"""


def test_deploy_check_passes_in_production(tmp_path):
    result = run_django(DEPLOY_CHECK, tmp_path / "no.env", **production())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_a_short_secret_key(tmp_path):
    result = run_django(DEPLOY_CHECK, tmp_path / "no.env", **production(SECRET_KEY="short-and-guessable"))

    assert result.returncode != 0
    assert "security.W009" in result.stderr


REQUESTS = """
import json, django
django.setup()
from django.test import Client
from rest_framework.test import APIClient
def seen(path, **headers):
    response = Client(HTTP_HOST="photos.example.com").get(path, **headers)
    cookie = response.cookies.get("csrftoken")
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "hsts": response.get("Strict-Transport-Security"),
        "secure_cookie": cookie and cookie["secure"],
    }
print(json.dumps({
    "plain": seen("/api-auth/login/"),
    "health": seen("/healthz"),
    "forwarded": seen("/api-auth/login/", HTTP_X_FORWARDED_PROTO="https"),
}))
"""


@pytest.mark.django_db
def test_production_redirects_to_https_and_trusts_only_the_configured_proxy_header(tmp_path):
    direct = json.loads(run_django(REQUESTS, tmp_path / "no.env", **production()).stdout)
    proxied = run_django(
        REQUESTS, tmp_path / "no.env", **production(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    )
    assert proxied.returncode == 0, proxied.stderr
    proxied = json.loads(proxied.stdout)

    https_login = "https://photos.example.com/api-auth/login/"
    assert (direct["plain"]["status"], direct["plain"]["location"]) == (301, https_login)
    assert direct["forwarded"]["status"] == 301, "without SECURE_PROXY_SSL_HEADER a client cannot claim HTTPS"
    assert direct["health"]["status"] == 200, "health checks may use plain HTTP"
    assert proxied["plain"]["status"] == 301
    assert proxied["forwarded"] == {
        "status": 200,
        "location": None,
        "hsts": "max-age=31536000",
        "secure_cookie": True,
    }


def test_debug_runs_serve_plain_http(tmp_path):
    """`make run`: DEBUG on, no redirect, no HSTS."""
    result = run_django(REQUESTS, tmp_path / "no.env", **production(DEBUG="true"))

    assert result.returncode == 0, result.stderr
    plain = json.loads(result.stdout)["plain"]
    assert (plain["status"], plain["hsts"], plain["secure_cookie"]) == (200, None, "")


# --- Content-Security-Policy and the other headers ---


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/healthz", "/admin/login/", "/api/photos", "/api-auth/login/", "/api/docs/"]
)
def test_every_page_has_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = policy(response)
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    # The upload page's direct uploads go to the bucket (test_direct_upload_bucket.py).
    assert csp["connect-src"] == ["'self'", settings.AWS_S3_ENDPOINT_URL]
    assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"]


@pytest.mark.django_db
def test_images_may_come_from_the_bucket_and_previews(client, upload):
    upload(distinct_image_bytes())
    photo_url = client.get("/api/photos").json()[0]["photo_url"]
    photo_origin = "{0.scheme}://{0.netloc}".format(urlsplit(photo_url))

    csp = policy(client.get("/healthz"))

    assert csp["img-src"] == ["'self'", "data:", "blob:", photo_origin]


@pytest.mark.django_db
def test_only_third_party_pages_get_inline_styles(client):
    strict = policy(client.get("/accounts/login/"))
    api = policy(client.get("/api/photos"))

    assert strict["style-src"] == strict["script-src"] == ["'self'"]
    assert api["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy(client.get("/api-auth/login/"))["style-src"] == ["'self'", "'unsafe-inline'"]


@pytest.mark.django_db
def test_browsable_api_inline_handlers_are_the_allowed_ones(client, alice):
    """Each inline event handler on a browsable API page has its hash in script-src (DRF's log-out link)."""
    client.force_login(alice)
    response = client.get("/api/photos/", HTTP_ACCEPT="text/html")
    handlers = re.findall(r"""\son\w+=(?:'([^']*)'|"([^"]*)")""", response.content.decode())

    assert handlers, "the logged-in page has DRF's log-out link"
    script_src = policy(response)["script-src"]
    assert "'unsafe-hashes'" in script_src
    for single, double in handlers:
        assert source_hash(single or double) in script_src


@pytest.mark.django_db
def test_swagger_ui_runs_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)

    assert scripts and all("src=" in attributes for attributes in scripts)
    start_up = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = client.get(start_up.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


@pytest.mark.parametrize(
    "options",
    [
        {"endpoint_url": "http://127.0.0.1:8333", "addressing_style": "path"},
        {"endpoint_url": "https://acc.r2.cloudflarestorage.com", "addressing_style": "auto"},
        {"endpoint_url": "https://acc.r2.cloudflarestorage.com", "addressing_style": "virtual"},
        {"region": "us-east-1", "addressing_style": "auto"},
        {"region": "eu-west-1", "addressing_style": "auto"},
        {"region": "eu-west-1", "addressing_style": "virtual"},
        {"region": "eu-west-1", "addressing_style": "path"},
        {"region": "eu-west-1", "addressing_style": "auto", "bucket": "my.photos"},
        {"custom_domain": "cdn.example.com/media"},
    ],
)
def test_photo_origins_cover_the_urls_django_storages_makes(options):
    options = {"bucket": "photos", "region": "us-east-1", "addressing_style": "auto", **options}
    storage = S3Storage(
        bucket_name=options["bucket"],
        endpoint_url=options.get("endpoint_url"),
        region_name=options["region"],
        custom_domain=options.get("custom_domain"),
        access_key="key",
        secret_key="secret",
        client_config=Config(s3={"addressing_style": options["addressing_style"]}, signature_version="s3v4"),
    )
    url = urlsplit(storage.url("photos/0123abcd.jpg"))

    assert f"{url.scheme}://{url.netloc}" in photo_origins(**options)
