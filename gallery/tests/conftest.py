"""Fixtures: users with API tokens, image bytes, and the real S3 bucket the tests write to."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def image_bytes(image_format="JPEG", size=(64, 48), mode="RGB"):
    """A small real image in the given Pillow format."""
    image = Image.new(mode, size, color=128 if mode in {"L", "P"} else (200, 80, 40))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def stored_keys():
    """The object keys under photos/ in the real bucket."""
    return {f"photos/{name}" for name in default_storage.listdir("photos")[1]}


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """The hashed static files and their manifest, made as a deployment's collectstatic makes them."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def bucket():
    """Each test starts from what the bucket holds and leaves it so: its own new objects are deleted."""
    before = stored_keys()
    yield before
    for key in stored_keys() - before:
        default_storage.delete(key)


@pytest.fixture
def make_user(db):
    def make(username, **fields):
        return get_user_model().objects.create_user(username, password="correct horse battery", **fields)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def client_for():
    """An API client that authenticates as `user` with its token, as a script would."""

    def make(user):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return make


@pytest.fixture
def api(client_for, alice):
    """A client logged in as alice by token."""
    return client_for(alice)


@pytest.fixture
def upload(api):
    """POST a file to /api/photos as alice and return the response."""

    def post(content, name="photo.jpg", client=None, **fields):
        """Fields named HTTP_* are sent as request headers, the others as form fields."""
        headers = {key: fields.pop(key) for key in list(fields) if key.startswith("HTTP_")}
        file = io.BytesIO(content)
        file.name = name
        return (client or api).post("/api/photos", {"photo": file, **fields}, format="multipart", **headers)

    return post
