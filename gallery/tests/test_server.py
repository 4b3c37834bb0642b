"""The app as deployed: gunicorn per the Procfile, DEBUG off, whitenoise serving the static files."""

import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from rest_framework.authtoken.models import Token

from gallery.models import Photo
from gallery.tests.support import (
    current_database_url,
    free_port,
    gunicorn,
    image_bytes,
    procfile_command,
    running_gunicorn,
)

pytestmark = pytest.mark.server


@pytest.mark.django_db(transaction=True)
def test_gunicorn_uploads_lists_and_serves_the_bytes(server, alice, bucket):
    token = Token.objects.create(user=alice).key
    content = image_bytes("JPEG", size=(640, 480))

    created = requests.post(
        f"{server}/api/photos",
        headers={"Authorization": f"Token {token}"},
        files={"photo": ("camera.jpg", content, "image/jpeg")},
        data={"title": "From gunicorn"},
        timeout=30,
    )
    listed = requests.get(f"{server}/api/photos", timeout=30)

    assert created.status_code == 201, created.text
    assert [item["title"] for item in listed.json()] == ["From gunicorn"]
    fetched = requests.get(listed.json()[0]["photo_url"], timeout=10)
    assert fetched.content == content and fetched.headers["Content-Type"] == "image/jpeg"
    assert requests.get(f"{server}/healthz", timeout=10).json()["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_workers_keep_their_database_connections_between_requests():
    """CONN_MAX_AGE: a list costs no new connection; the same few server processes answer every request."""
    # Other clients of the test database (the live server's thread, say) are told apart by this name.
    name = "photosite-reuse-test"

    def app_backends():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name])
            return {pid for (pid,) in cursor.fetchall()}

    with running_gunicorn(DATABASE_URL=f"{current_database_url()}?application_name={name}") as (base, _):
        # Which worker takes a request is up to the kernel, so the second worker may connect late: count every
        # server process seen. New connections per request would each be a new one.
        seen = set()
        for _ in range(30):
            assert requests.get(f"{base}/api/photos", timeout=10).status_code == 200
            seen |= app_backends()
        still_open = app_backends()

    # gunicorn.conf.py's defaults: 2 workers of 4 threads, each thread with its own connection (README, Scaling).
    assert 1 <= len(seen) <= 2 * 4, "one connection per worker thread, kept"
    assert seen == still_open, "all still open after the requests"


def test_whitenoise_serves_hashed_static_files(server):
    url = staticfiles_storage.url("rest_framework/css/bootstrap.min.css")
    assert url != "/static/rest_framework/css/bootstrap.min.css", "the manifest names a hashed file"

    response = requests.get(f"{server}{url}", timeout=10)

    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"].startswith("text/css")


def test_debug_is_off(server):
    response = requests.get(f"{server}/no-such-page", timeout=10)

    assert response.status_code == 404
    assert "URLconf" not in response.text and "Traceback" not in response.text


@pytest.mark.django_db(transaction=True)
def test_two_gigabyte_body_is_refused_before_it_is_read(server, alice):
    """The size limit comes from Content-Length: a 413 arrives after the first kilobyte of a 2 GB body."""
    token = Token.objects.create(user=alice).key
    boundary = "photositeboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="huge.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    request = (
        "POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {2 * 1024**3}\r\nConnection: close\r\n\r\n"
    ).encode()
    host, port = server.removeprefix("http://").split(":")

    with socket.create_connection((host, int(port)), timeout=30) as sock:
        # Only the start of the body: the server answers without waiting for the rest, and nothing
        # it leaves unread makes its close a reset that could swallow the response.
        sock.sendall(request + head + b"\xff" * 1024)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk

    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), response[:300]
    assert b'"photo"' in rest and b"25 MB" in rest


def test_configuration_error_stops_gunicorn_with_one_line():
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "SECRET_KEY": "x", "DATABASE_URL": "postgres://u@127.0.0.1/db"}

    result = subprocess.run(
        [*gunicorn(procfile_command("web")), "--bind", f"127.0.0.1:{free_port()}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "photosite: configuration error: AWS_STORAGE_BUCKET_NAME (or the old app's BUCKET_NAME) is not set"
    )


@pytest.mark.parametrize(
    "header", [("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "on"), ("X-Forwarded-Protocol", "ssl")]
)
@pytest.mark.django_db(transaction=True)
def test_gunicorn_trusts_no_forwarded_header_of_its_own(header):
    """From 127.0.0.1, gunicorn's own defaults would take each of these as HTTPS; only SECURE_PROXY_SSL_HEADER may."""
    name, value = header
    with running_gunicorn(SECURE_SSL_REDIRECT="true") as (base, _):
        claimed = requests.get(f"{base}/accounts/login/", headers={name: value}, allow_redirects=False, timeout=10)
    with running_gunicorn(
        SECURE_SSL_REDIRECT="true", SECURE_PROXY_SSL_HEADER=f"HTTP_{name.upper().replace('-', '_')},{value}"
    ) as (base, _):
        configured = requests.get(f"{base}/accounts/login/", headers={name: value}, allow_redirects=False, timeout=10)

    assert claimed.status_code == 301 and claimed.headers["Location"].startswith("https://")
    assert configured.status_code == 200 and "Strict-Transport-Security" in configured.headers


UPLOAD_LIMIT = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_over_the_limit_let_exactly_the_limit_through(alice, bucket):
    """3L uploads from 8 threads against a limit of L, two gunicorn workers: exactly L are stored."""
    token = Token.objects.create(user=alice).key
    uploads = 3 * UPLOAD_LIMIT
    images = [image_bytes(size=(64 + n, 48)) for n in range(uploads)]

    def send(n):
        return requests.post(
            f"{base}/api/photos",
            headers={"Authorization": f"Token {token}"},
            files={"photo": (f"c{n}.jpg", images[n], "image/jpeg")},
            timeout=60,
        ).status_code

    with (
        running_gunicorn(WEB_CONCURRENCY="2", GALLERY_UPLOADS_PER_HOUR=str(UPLOAD_LIMIT)) as (base, _),
        ThreadPoolExecutor(8) as pool,
    ):
        statuses = list(pool.map(send, range(uploads)))

    print(f"{uploads} concurrent uploads, limit {UPLOAD_LIMIT}: {statuses.count(201)} stored")
    assert sorted(statuses) == [201] * UPLOAD_LIMIT + [429] * (uploads - UPLOAD_LIMIT)
    assert Photo.objects.count() == UPLOAD_LIMIT
