"""Fixtures: users with API tokens, the real S3 bucket, gunicorn, job workers, an isolated site (helpers:
gallery.tests.support)."""

import contextlib
import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.management import call_command
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery.jobs.queue import waiting_jobs
from gallery.tests.support import (
    current_database_url,
    image_bytes,
    processed_photo,
    running_gunicorn,
    start_worker,
    stop_worker,
    stored_keys,
    wait_until,
)
from gallery.tests.support.isolated_site import IsolatedSite

# The session's job worker, once a test has started it.
SESSION_WORKER = []


@pytest.fixture(scope="session")
def job_worker_process(django_db_setup, django_db_blocker):
    """One job worker (the Procfile's worker process) on the test database, for the whole session."""
    env = {**os.environ, "DATABASE_URL": current_database_url(), "SECRET_KEY": "test-only", "LOG_LEVEL": "WARNING"}
    process = start_worker(env)
    SESSION_WORKER.append(process)
    yield process
    SESSION_WORKER.clear()
    stop_worker(process)


@pytest.fixture
def worker(job_worker_process, transactional_db, bucket):
    """A running job worker, for tests of what the jobs do; the test waits for the queue to empty before it ends,
    so that no job of this test writes to the bucket during the next one (whose new objects are then deleted)."""
    yield job_worker_process
    wait_until(lambda: waiting_jobs() == 0, "empty queue")


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """The hashed static files and their manifest, made as a deployment's collectstatic makes them."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def isolated_site_session():
    with contextlib.ExitStack() as stack:
        yield IsolatedSite(stack)


@pytest.fixture
def isolated_site(isolated_site_session):
    """A site of its own (gallery.tests.support.isolated_site) that a test may overload or take PostgreSQL or S3 from.

    Started once per session; each test gets it with both servers running and /healthz answering 200.
    """
    site = isolated_site_session
    for server in (site.postgres, site.s3):
        if server.process is None:
            server.start()
    site.wait_until_healthy()
    return site


@pytest.fixture
def bucket(request):
    """What the bucket holds before the test; the test's own new objects are deleted after it.

    Every test that stores objects asks for it, itself or through a fixture (upload, site, worker); the others
    never list the bucket. bucket_left_as_found checks that none was forgotten.
    """
    before = stored_keys()
    yield before
    if SESSION_WORKER and "transactional_db" in request.fixturenames:
        # The session's job worker may be processing a photo this test committed without `worker` (through a
        # live server or gunicorn): its renditions would land after the cleanup. Jobs still queued go with the
        # test's database.
        wait_until(lambda: not ProcrastinateJob.objects.filter(status="doing").exists(), "job finished")
    deleted_since(before)


def deleted_since(before):
    """Delete the objects stored since the bucket held the keys `before`; return their keys."""
    left = stored_keys() - before
    for key in left:
        default_storage.delete(key)
    return left


def pytest_addoption(parser):
    parser.addoption(
        "--bucket-check-each",
        action="store_true",
        help="list the bucket around every test without the bucket fixture, to name one that leaves objects",
    )


@pytest.fixture(scope="session", autouse=True)
def bucket_left_as_found():
    """The suite leaves the bucket as it found it: a test that stored objects without the bucket fixture fails it
    (`make test PYTEST_ARGS=--bucket-check-each` then names the test)."""
    before = stored_keys()
    yield
    left = deleted_since(before)
    assert not left, f"objects left in the bucket by a test without the bucket fixture: {sorted(left)}"


@pytest.fixture(autouse=True)
def bucket_left_as_found_by_each_test(request):
    """With --bucket-check-each, fail the test that left objects without the bucket fixture, by name. Off by
    default: tests that never touch S3 do not list the bucket."""
    if "bucket" in request.fixturenames or not request.config.getoption("--bucket-check-each"):
        yield
        return
    before = stored_keys()
    yield
    left = deleted_since(before)
    assert not left, f"objects left in the bucket without the bucket fixture: {sorted(left)}"


@pytest.fixture
def make_user(db):
    def make(username, **fields):
        return get_user_model().objects.create_user(username, password="correct horse battery", **fields)

    return make


@pytest.fixture
def make_staff(make_user):
    """A staff user holding the given gallery permissions (codenames such as "change_photo"), and no others."""

    def make(username, *codenames):
        user = make_user(username, is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="gallery", codename__in=codenames))
        return user

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
def logged_in(client, alice):
    """Django's test client with alice logged in (a session), as the pages see her."""
    client.force_login(alice)
    return client


@pytest.fixture
def upload(api, bucket):
    """POST a file to /api/photos as alice and return the response; the test's new objects are deleted after it."""

    def post(content, name="photo.jpg", client=None, **fields):
        """Fields named HTTP_* (and REMOTE_ADDR) are sent as request headers, the others as form fields."""
        headers = {key: fields.pop(key) for key in list(fields) if key.startswith("HTTP_") or key == "REMOTE_ADDR"}
        file = io.BytesIO(content)
        file.name = name
        return (client or api).post("/api/photos", {"photo": file, **fields}, format="multipart", **headers)

    return post


@pytest.fixture
def photo(upload):
    """A photo alice uploaded through the API, titled First, with its renditions made (the API tests'; a module
    with a photo fixture of its own uses that)."""
    return processed_photo(upload(image_bytes(), title="First").json()["id"])


@pytest.fixture(scope="module")
def server(django_db_setup):
    """The base URL of gunicorn as deployed (see running_gunicorn)."""
    with running_gunicorn() as (base, _):
        yield base
