"""Fixtures and helpers: users with API tokens, image bytes, the real S3 bucket, fresh processes, gunicorn, workers."""

import contextlib
import io
import itertools
import os
import shlex
import socket
import struct
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pillow_heif
import psycopg
import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from PIL import ExifTags, Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery.jobs.photos import process_photo
from gallery.jobs.queue import waiting_jobs
from gallery.models import Photo
from gallery.uploads import uploaded_image

BASE_DIR = Path(settings.BASE_DIR)


def image_bytes(image_format="JPEG", size=(64, 48), mode="RGB", color=None):
    """A small real image in the given Pillow format, of one colour."""
    if color is None:
        color = 128 if mode in {"L", "P"} else (200, 80, 40)
    image = Image.new(mode, size, color=color)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


DISTINCT_COLOURS = itertools.count(1)


def distinct_image_bytes(image_format="JPEG"):
    """image_bytes of a size no earlier call in this process gave: uploads of it are never exact duplicates
    (a JPEG of a slightly different colour can be the same bytes)."""
    n = next(DISTINCT_COLOURS)
    return image_bytes(image_format, (48 + n % 97, 32 + n // 97 % 97))


def heic_bytes(image, **metadata):
    """`image` saved as a HEIC by pillow-heif (libheif and x265, its fastest preset), with exif= and xmp= if given."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=90, enc_params={"preset": "ultrafast"}, **metadata)
    return buffer.getvalue()


def stored_photo(owner, name="photo.jpg", content=None, processed=True, **fields):
    """A photo stored the way every upload is, through uploaded_image and create_from_upload; then, unless
    processed=False, processed as its job does it (see processed)."""
    upload = SimpleUploadedFile(name, content or distinct_image_bytes(), content_type="image/jpeg")
    photo = Photo.objects.create_from_upload(uploaded_image(upload), owner=owner, **fields)
    return processed_photo(photo.pk) if processed else photo


def processed_photo(photo_id):
    """The photo after what its job does (gallery.jobs.photos.process_photo), run here, in the test's transaction.

    For tests of what processing makes; what the queue and its workers do is tested with real workers (worker).
    """
    process_photo(photo_id)
    return Photo.all_objects.get(pk=photo_id)


def album_of(owner, photos=(), visibility="public", members=(), **fields):
    """An album of `owner` holding `photos` in that order, with members given as (user, role) pairs."""
    from gallery.albums.models import Album, AlbumMember, AlbumPhoto

    album = Album.objects.create(owner=owner, visibility=visibility, title=fields.pop("title", "An album"), **fields)
    AlbumPhoto.objects.bulk_create(
        AlbumPhoto(album=album, photo=photo, position=n) for n, photo in enumerate(photos, start=1)
    )
    AlbumMember.objects.bulk_create(AlbumMember(album=album, user=user, role=role) for user, role in members)
    return album


def png_chunk(kind, data):
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def photo_exif():
    """EXIF as a phone writes it: orientation, camera, time taken, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Phonemaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:07:14 18:30:05"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2)})
    return exif


def stored_keys():
    """The object keys under photos/ in the real bucket."""
    return {f"photos/{name}" for name in default_storage.listdir("photos")[1]}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def storages_with(**options):
    """STORAGES whose default backend has other S3 options; changing STORAGES makes Django build a new storage."""
    return {
        "default": {"BACKEND": "gallery.storage.PhotoStorage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def current_database_url(scheme="postgres"):
    """A URL of the database these tests run on, for another process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"{scheme}://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def run_django(code, env_file, **environ):
    """Run Python with photosite's settings in a fresh process whose environment holds only `environ`."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "photosite.settings", "ENV_FILE": str(env_file)}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def procfile_line(process):
    """The Procfile's command for `process`, as the platform hands it to a shell."""
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"no {process} process in the Procfile")


def run_django_without_database(code, tmp_path):
    """run_django on this suite's S3 but with a database port that nothing listens on."""
    environ = {key: os.environ[key] for key in os.environ if key.startswith("AWS_")}
    return run_django(
        code,
        tmp_path / "no.env",
        **environ,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/photosite",
    )


def procfile_command(process):
    """The command of a Procfile line, split as a shell would."""
    return shlex.split(procfile_line(process))


def gunicorn(command):
    """The Procfile's command with this virtualenv's gunicorn."""
    return [str(Path(sys.executable).with_name("gunicorn")), *command[1:]]


def start_logged(command, env, log=None):
    """Start a command in the project's directory with env, its output appended to `log` or, without one, shown."""
    with open(log, "ab") if log else contextlib.nullcontext() as output:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT if output else None
        )


def start_gunicorn(env, log=None):
    """gunicorn from the Procfile's web line on a free port, with env; return (process, base URL) once it answers."""
    port = free_port()
    command = procfile_command("web")
    assert command[:2] == ["gunicorn", "photosite.wsgi"]
    process = start_logged([*gunicorn(command), "--bind", f"127.0.0.1:{port}"], env, log)
    base = f"http://127.0.0.1:{port}"

    def answers():  # any answer, 503 included: a test may have taken the database away
        try:
            requests.get(f"{base}/healthz", timeout=10)
        except requests.ConnectionError:
            return False
        return True

    return when_ready(process, answers, "gunicorn", stop_gunicorn), base


def when_ready(process, ready, name, stop, timeout=30):
    """`process` once ready() returns something true; stopped with stop() if it exits or takes longer than timeout."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, f"{name} exited"
            assert time.monotonic() < deadline, f"{name} was not ready after {timeout} s"
            time.sleep(0.1)
    except BaseException:
        stop(process)
        raise
    return process


def stop_gunicorn(process):
    """Stop gunicorn gracefully: its master waits for the workers."""
    process.terminate()
    process.wait(timeout=30)


def start_worker(env, log=None):
    """A job worker from the Procfile's worker line, with env; returned once it has registered in the database."""
    command = procfile_command("worker")
    assert command[:4] == ["python", "manage.py", "procrastinate", "worker"]
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as database:
        newest = "SELECT coalesce(max(id), 0) FROM procrastinate_workers"
        before = database.execute(newest).fetchone()[0]
        process = start_logged([sys.executable, *command[1:]], env, log)
        return when_ready(process, lambda: database.execute(newest).fetchone()[0] > before, "the worker", stop_worker)


def stop_worker(process):
    """Stop a worker as the platform does (SIGTERM): it finishes its job first."""
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


def wait_until(condition, what, timeout=60):
    """Poll condition() until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.05)
    return result


@pytest.fixture(scope="session")
def job_worker_process(django_db_setup, django_db_blocker):
    """One job worker (the Procfile's worker process) on the test database, for the whole session."""
    env = {**os.environ, "DATABASE_URL": current_database_url(), "SECRET_KEY": "test-only", "LOG_LEVEL": "WARNING"}
    process = start_worker(env)
    yield process
    stop_worker(process)


@pytest.fixture
def worker(job_worker_process, transactional_db):
    """A running job worker, for tests of what the jobs do; the test waits for the queue to empty before it ends,
    so that no job of this test writes to the bucket during the next one."""
    yield job_worker_process
    wait_until(lambda: waiting_jobs() == 0, "empty queue")


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """The hashed static files and their manifest, made as a deployment's collectstatic makes them."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def isolated_site_session():
    # Imported here: that module imports this one.
    from gallery.tests.isolated_site import IsolatedSite

    with contextlib.ExitStack() as stack:
        yield IsolatedSite(stack)


@pytest.fixture
def isolated_site(isolated_site_session):
    """A site of its own (gallery.tests.isolated_site) that a test may overload or take PostgreSQL or S3 from.

    Started once per session; each test gets it with both servers running and /healthz answering 200.
    """
    site = isolated_site_session
    for server in (site.postgres, site.s3):
        if server.process is None:
            server.start()
    site.wait_until_healthy()
    return site


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
def upload(api):
    """POST a file to /api/photos as alice and return the response."""

    def post(content, name="photo.jpg", client=None, **fields):
        """Fields named HTTP_* (and REMOTE_ADDR) are sent as request headers, the others as form fields."""
        headers = {key: fields.pop(key) for key in list(fields) if key.startswith("HTTP_") or key == "REMOTE_ADDR"}
        file = io.BytesIO(content)
        file.name = name
        return (client or api).post("/api/photos", {"photo": file, **fields}, format="multipart", **headers)

    return post


@contextlib.contextmanager
def running_gunicorn(**environ):
    """gunicorn as deployed, on the test database with DEBUG off, until the block ends: (base URL, process)."""
    env = {
        **os.environ,
        "DEBUG": "false",
        # Plain HTTP on 127.0.0.1; test_security.py tests the redirect to HTTPS.
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": current_database_url(),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex,
        **environ,
    }
    process, base = start_gunicorn(env)
    try:
        yield base, process
    finally:
        stop_gunicorn(process)


@pytest.fixture(scope="module")
def server(django_db_setup):
    """The base URL of gunicorn as deployed (see running_gunicorn)."""
    with running_gunicorn() as (base, _):
        yield base


def upload_over_http(base, token, content, name="photo.jpg"):
    """POST a photo to the site at `base` as the user of API token `token`, as a script would; the response."""
    return requests.post(
        f"{base}/api/photos",
        headers={"Authorization": f"Token {token}"},
        files={"photo": (name, content, "image/jpeg")},
        timeout=60,
    )
