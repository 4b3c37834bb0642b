"""Who the API lets in: a session needs its CSRF token, the token command's token works, CORS allows the configured
front end only."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from gallery.tests.support import (
    image_bytes,
)

pytestmark = pytest.mark.django_db


def test_session_login_needs_csrf_token(alice, bucket):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    file = io.BytesIO(image_bytes())
    file.name = "a.jpg"

    refused = client.post("/api/photos", {"photo": file}, format="multipart")

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/api-auth/login/")  # a page with a form sets the csrftoken cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    file.seek(0)
    accepted = client.post("/api/photos", {"photo": file}, format="multipart", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_token_command_prints_a_working_token(alice, capsys, bucket):
    call_command("drf_create_token", "alice")
    token = re.search(r"token (\w+) for user alice", capsys.readouterr().out).group(1)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    file = io.BytesIO(image_bytes())
    file.name = "a.jpg"
    assert client.post("/api/photos", {"photo": file}, format="multipart").status_code == 201

    call_command("drf_create_token", "alice")
    assert token in capsys.readouterr().out, "a second call prints the same token"


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:5173"])
def test_cors_allows_the_configured_front_end_only(client_for):
    client = client_for(None)
    preflight = client.options(
        "/api/photos", HTTP_ORIGIN="http://localhost:5173", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert preflight["Access-Control-Allow-Credentials"] == "true"

    other = client.get("/api/photos", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    for path in ("/admin/login/", "/accounts/login/", "/"):
        page = client.get(path, HTTP_ORIGIN="http://localhost:5173")
        assert "Access-Control-Allow-Origin" not in page and "Access-Control-Allow-Credentials" not in page, path
