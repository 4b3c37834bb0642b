"""Uploading through POST /api/photos: what is stored, and what bad input gets."""

import io
import re
import struct
import zlib

import pytest
import requests
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient

from gallery.models import Photo
from gallery.tests.support import free_port, heic_bytes, image_bytes, png_chunk, storages_with, stored_keys

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"photos/[0-9a-f]{32}\.(jpg|png|gif|webp)")


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_upload_stores_object_and_row(upload, bucket, image_format, content_type, extension):
    content = image_bytes(image_format, size=(64, 48))

    response = upload(content, name="holiday.bin", title="Beach", description="Sunset")

    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    assert {k: body[k] for k in ("title", "description", "width", "height", "size", "content_type", "owner")} == {
        "title": "Beach",
        "description": "Sunset",
        "width": 64,
        "height": 48,
        "size": len(content),
        "content_type": content_type,
        "owner": "alice",
    }
    assert KEY_PATTERN.fullmatch(photo.image.name) and photo.image.name.endswith(f".{extension}")
    assert stored_keys() - bucket == set(photo.object_keys())
    assert body["created_at"] and body["photo_url"].startswith("http")


def test_presigned_url_returns_exactly_the_uploaded_bytes(upload):
    content = image_bytes("PNG", size=(300, 200))

    photo_url = upload(content, name="x.png").json()["photo_url"]
    fetched = requests.get(photo_url, timeout=10)

    assert fetched.status_code == 200
    assert fetched.content == content
    assert fetched.headers["Content-Type"] == "image/png"
    assert "X-Amz-Signature=" in photo_url


def test_detected_format_wins_over_client_name_and_type(api, bucket):
    """A PNG sent as evil.jpg with Content-Type text/html is stored as a PNG; no client text in the key."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("../../evil.jpg", image_bytes("PNG"), content_type="text/html")

    response = api.post("/api/photos", {"photo": file}, format="multipart")

    assert response.status_code == 201
    photo = Photo.objects.get()
    assert photo.content_type == "image/png" and photo.image.name.endswith(".png")
    assert "evil" not in photo.image.name
    assert photo.title == "evil"
    assert requests.get(response.json()["photo_url"], timeout=10).headers["Content-Type"] == "image/png"


def test_default_title_is_the_file_name_without_control_characters(upload):
    name = "Holiday\u202egpj.exe" + "x" * 300 + ".jpg"

    title = upload(image_bytes(), name=name).json()["title"]

    assert title.startswith("Holidaygpj.exe") and len(title) == 200
    assert "\u202e" not in title


def png_declaring(width, height):
    """A tiny but well-formed PNG whose header declares width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def saved_noise(image_format):
    """Noise in this format: every byte matters, so that cutting any off cuts into the pixels."""
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buffer, image_format)
    return buffer.getvalue()


def truncated(content, keep=0.5):
    return content[: int(len(content) * keep)]


NOT_IMAGES = {
    "text": b"just some text, not a photo\n",
    "html": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    "pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    "truncated-jpeg": truncated(image_bytes("JPEG", size=(400, 300))),
    "truncated-png": truncated(image_bytes("PNG", size=(400, 300), mode="L")),
    "truncated-webp": truncated(image_bytes("WEBP", size=(400, 300))),
    # The cheap checks of an upload (no display-size decode) still find where the data stops.
    "truncated-avif": truncated(image_bytes("AVIF", size=(400, 300))),
    "truncated-heic": truncated(heic_bytes(Image.effect_noise((400, 300), 60).convert("RGB")), keep=0.9),
    "png-without-iend": image_bytes("PNG", size=(400, 300))[:-12],
    "jpeg-without-its-end": saved_noise("JPEG")[:-200],
    "corrupt-header": b"\x89PNG\r\n\x1a\n" + b"\xff" * 200,
    "bmp": image_bytes("BMP"),
    "tiff": image_bytes("TIFF"),
}


@pytest.mark.parametrize("kind", NOT_IMAGES)
def test_not_an_image_is_refused_and_nothing_is_written(upload, bucket, kind):
    response = upload(NOT_IMAGES[kind], name="photo.jpg")

    assert response.status_code == 400
    assert "photo" in response.json(), response.json()
    assert stored_keys() == bucket
    assert not Photo.objects.exists()


def test_empty_file_is_refused(upload, bucket):
    response = upload(b"", name="empty.jpg")

    assert response.status_code == 400
    assert response.json()["photo"] == ["The submitted file is empty."]
    assert stored_keys() == bucket and not Photo.objects.exists()


def test_missing_photo_field_is_refused(api):
    response = api.post("/api/photos", {"title": "no file"}, format="multipart")

    assert response.status_code == 400
    assert "photo" in response.json()
    assert not Photo.objects.exists()


def test_decompression_bomb_is_refused_from_its_header(upload, bucket):
    bomb = png_declaring(30000, 30000)
    assert len(bomb) < 1000

    response = upload(bomb, name="bomb.png")

    assert response.status_code == 400
    assert "the limit is 100 million pixels" in response.json()["photo"][0]
    assert stored_keys() == bucket and not Photo.objects.exists()


def test_image_just_over_the_pixel_limit_is_refused_with_its_size(upload):
    response = upload(png_declaring(12000, 9000), name="large.png")

    assert response.status_code == 400
    assert response.json()["photo"] == ["This image has 12000 x 9000 pixels; the limit is 100 million pixels."]


@override_settings(GALLERY_MAX_UPLOAD_MB=1)
@pytest.mark.parametrize("auth", ["token", "session"])
def test_file_over_the_size_limit_gets_413(upload, bucket, alice, auth):
    """Also for a browser session, whose CSRF check reads the body before the view does."""
    too_big = b"\xff\xd8" + b"\0" * (1024 * 1024 + 10)
    client, headers = None, {}
    if auth == "session":
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(alice)
        client.get("/api-auth/login/")
        headers = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}

    response = upload(too_big, name="big.jpg", client=client, **headers)

    assert response.status_code == 413
    assert "1 MB" in response.json()["photo"][0]
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.parametrize(("field", "length"), [("title", 201), ("description", 5001)])
def test_overlong_text_fields_are_refused(upload, bucket, field, length):
    response = upload(image_bytes(), **{field: "x" * length})

    assert response.status_code == 400
    assert field in response.json()
    assert stored_keys() == bucket and not Photo.objects.exists()


def test_longest_allowed_text_fields_are_kept(upload):
    response = upload(image_bytes(), title="t" * 200, description="d" * 5000)

    assert response.status_code == 201
    assert len(response.json()["title"]) == 200 and len(response.json()["description"]) == 5000


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"endpoint_url": "http://127.0.0.1:{port}"}, id="unreachable"),
        pytest.param({"secret_key": "not-the-secret"}, id="refusing"),
    ],
)
def test_storage_failure_gets_503_and_no_row(upload, broken):
    options = {key: value.format(port=free_port()) for key, value in broken.items()}

    with override_settings(STORAGES=storages_with(**options)):
        response = upload(image_bytes())

    assert response.status_code == 503
    assert "storage" in response.json()["detail"]
    assert not Photo.objects.exists()


def test_database_failure_after_the_object_is_written_deletes_it(upload, bucket, alice, settings):
    """A lock held elsewhere makes the INSERT time out: 503, no row, and the object is gone again."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    ) as other:
        # SHARE mode blocks the INSERT but not the SELECT that looks for a duplicate first.
        other.execute("LOCK TABLE gallery_photo IN SHARE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 500")
        response = upload(image_bytes())
        other.rollback()

    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    assert stored_keys() == bucket
    assert not Photo.objects.exists()


def test_anonymous_upload_is_refused_by_default(client_for, upload, bucket):
    response = upload(image_bytes(), client=client_for(None))

    assert response.status_code == 401
    assert stored_keys() == bucket and not Photo.objects.exists()


@override_settings(GALLERY_ALLOW_ANONYMOUS_UPLOADS=True)
def test_anonymous_upload_when_allowed_has_no_owner(client_for, upload):
    response = upload(image_bytes(), client=client_for(None))

    assert response.status_code == 201
    assert response.json()["owner"] is None


def test_trailing_slash_is_optional_for_upload(api, bucket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post("/api/photos/", {"photo": SimpleUploadedFile("a.gif", image_bytes("GIF"))}, format="multipart")

    assert response.status_code == 201
