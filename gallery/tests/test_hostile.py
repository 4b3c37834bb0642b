"""Hostile files and requests: each gets a JSON 400/413, or is stored safely; never a 500.

The files are the corpus of gallery.tests.support.corpus; test_memory_budget.py sends them to gunicorn as deployed.
"""

import json
import re
import socket

import pytest
import requests
from PIL import Image
from rest_framework.authtoken.models import Token

from gallery.images import DECODE_BUDGET_BYTES
from gallery.models import Photo
from gallery.tests.support import (
    image_bytes,
    stored_keys,
)
from gallery.tests.support.corpus import CORPUS, noise, saved, sized

KEY_PATTERN = re.compile(r"photos/[0-9a-f]{32}\.(jpg|png|gif|webp|avif|heic)")


def assert_refused_and_nothing_written(response, bucket, status=400):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", CORPUS)
def test_hostile_file(upload, bucket, name):
    make, status, content_type = CORPUS[name]

    response = upload(make(), name="photo.jpg")

    if status != 201:
        assert_refused_and_nothing_written(response, bucket, status)
        assert response.json()["photo"], response.json()
        return
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert KEY_PATTERN.fullmatch(photo.image.name) and stored_keys() - bucket == set(photo.object_keys())
    stored = requests.get(response.json()["photo_url"], timeout=10)
    assert stored.headers["Content-Type"] == photo.content_type == content_type
    assert len(stored.content) == photo.size


@pytest.mark.django_db
def test_multi_scan_jpeg_gets_a_lower_limit_than_a_single_scan_one(upload, bucket):
    """A progressive CMYK JPEG keeps 8 bytes of coefficients per pixel while it decodes, and 1 more of the image
    drafted at 1/2 scale; a baseline one only the latter, a row of blocks at a time."""
    image = Image.new("CMYK", sized(DECODE_BUDGET_BYTES // 9 + 50_000))

    progressive = upload(saved(image, "JPEG", progressive=True))
    baseline = upload(saved(image, "JPEG"))

    assert progressive.status_code == 400
    assert progressive.json()["photo"] == [
        f"This image has {image.width} x {image.height} pixels; the limit is 16.7 million pixels."
    ]
    assert baseline.status_code == 201 and Photo.objects.get().width == image.width


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    ["../../../etc/passwd.jpg", "..\\..\\boot.ini.jpg", "nul\x00byte.jpg", "x" * 300 + ".jpg", "\u202egpj.exe.jpg"],
)
def test_client_file_name_never_reaches_the_key_and_makes_a_clean_title(upload, filename):
    response = upload(image_bytes(), name=filename)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert KEY_PATTERN.fullmatch(photo.image.name)
    assert 0 < len(photo.title) <= 200
    assert not re.search(r"[\x00-\x1f\u202a-\u202e/\\]", photo.title)
    assert ".." not in photo.title


BOUNDARY = "photositeboundary"


def multipart(*parts, boundary=BOUNDARY):
    """A multipart/form-data body of (field name, file name, content) parts."""
    body = b""
    for field, filename, content in parts:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode()


def raw_post(base, token, body, content_length=None, boundary=BOUNDARY):
    """POST /api/photos over a plain socket, say the end of the body with a half-close; return (status, body).

    The socket's timeout fails the test, rather than hanging it, if the server waits for bytes that never come.
    """
    head = (
        "POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body) if content_length is None else content_length}\r\nConnection: close\r\n\r\n"
    ).encode()
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, content = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, content


@pytest.fixture
def token(alice):
    return Token.objects.create(user=alice).key


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_two_photo_fields_are_refused(server, token, bucket):
    body = multipart(("photo", "a.jpg", image_bytes()), ("photo", "b.png", image_bytes("PNG")))

    status, head, content = raw_post(server, token, body)

    assert status == 400 and b"application/json" in head
    assert json.loads(content) == {"photo": ["Send one file in this field, not several."]}
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_wrong_boundary_is_refused(server, token, bucket):
    body = multipart(("photo", "a.jpg", image_bytes()), boundary="notthisone")

    status, head, content = raw_post(server, token, body)

    assert status == 400 and b"application/json" in head
    assert json.loads(content) == {"photo": ["No file was submitted."]}
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_content_length_shorter_than_the_body_is_refused(server, token, bucket):
    """The server reads only what Content-Length announces: the image arrives cut off."""
    body = multipart(("photo", "a.jpg", saved(noise(), "JPEG")))

    status, head, content = raw_post(server, token, body, content_length=len(body) - 2000)

    assert status == 400 and b"application/json" in head, content
    assert json.loads(content)["photo"]
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_content_length_longer_than_the_body_does_not_hang_the_worker(server, token, bucket):
    """The body ends early (the client half-closes): the worker answers at once rather than waiting for ever.

    Its multipart end marker did arrive, so nothing of the image is missing: it is stored, byte for byte.
    """
    image = saved(noise(), "JPEG")
    body = multipart(("photo", "a.jpg", image))

    status, _, content = raw_post(server, token, body, content_length=len(body) + 2000)

    assert status == 201, content
    assert requests.get(json.loads(content)["photo_url"], timeout=10).content == image
    assert requests.get(f"{server}/healthz", timeout=10).status_code == 200
