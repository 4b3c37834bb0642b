"""An album of about 1 GB as a ZIP through gunicorn, streamed from the real S3: the worker's memory stays flat, a
client that goes away stops the stream, and a client slower than the worker's timeout gets the whole ZIP while the
worker answers others. Slow (make test-slow): a gigabyte goes through the worker."""

import contextlib
import os
import threading
import time
import uuid

import psutil
import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from gallery.models import Photo, new_photo_key
from gallery.tests.support import album_of, current_database_url, start_gunicorn, stop_gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OBJECT_BYTES = 16 * 1024 * 1024
DISTINCT_OBJECTS = 4
PHOTOS = 64  # 64 x 16 MiB = 1 GiB, from 4 real objects
MEMORY_BUDGET = 50 * 1024 * 1024


@pytest.fixture
def big_album(bucket):
    """A public album of 64 photos whose rows share four real 16 MiB objects."""
    owner = get_user_model().objects.create_user("archivist")
    keys = [default_storage.save(new_photo_key("jpg"), ContentFile(os.urandom(OBJECT_BYTES))) for _ in range(4)]
    photos = Photo.objects.bulk_create(
        Photo(
            image=keys[n % DISTINCT_OBJECTS],
            title=f"big {n}",
            width=4000,
            height=3000,
            size=OBJECT_BYTES,
            content_type="image/jpeg",
            owner=owner,
            visibility="public",
        )
        for n in range(PHOTOS)
    )
    album = album_of(owner, photos, "public", title="Big")
    # The rows sharing objects are flushed with the database, whose TRUNCATE sends no post_delete.
    return album, album_of(owner, photos[:1], "public", title="Small")


@contextlib.contextmanager
def gunicorn_with_one_worker(tmp_path, **environ):
    """gunicorn per the Procfile with one worker on the test database: (base URL, worker process, log path)."""
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": current_database_url(),
        "SECRET_KEY": uuid.uuid4().hex,
        "WEB_CONCURRENCY": "1",
        **environ,
    }
    process, base = start_gunicorn(env, log=log)
    try:
        (worker,) = psutil.Process(process.pid).children()
        yield base, worker, log
    finally:
        stop_gunicorn(process)


@pytest.fixture
def one_worker(tmp_path):
    with gunicorn_with_one_worker(tmp_path) as started:
        yield started


def sample_rss(worker, stop, samples):
    while not stop.is_set():
        samples.append(worker.memory_info().rss)
        time.sleep(0.02)


def test_a_1_gb_album_streams_with_flat_worker_memory(big_album, one_worker):
    album, small = big_album
    base, worker, _ = one_worker
    warm = requests.get(f"{base}/albums/{small.pk}/download/", timeout=60)
    assert warm.status_code == 200 and len(warm.content) > OBJECT_BYTES
    baseline = worker.memory_info().rss
    samples, stop = [], threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(worker, stop, samples))
    sampler.start()
    received, tail = 0, b""
    try:
        with requests.get(f"{base}/albums/{album.pk}/download/", stream=True, timeout=60) as response:
            assert response.status_code == 200
            length = int(response.headers["Content-Length"])
            for chunk in response.iter_content(1024 * 1024):
                received += len(chunk)
                tail = (tail + chunk)[-64 * 1024 :]
    finally:
        stop.set()
        sampler.join()

    assert received == length > PHOTOS * OBJECT_BYTES
    assert tail.count(b"PK\x01\x02") == PHOTOS, "the central directory lists every photo"
    growth = max(samples) - baseline
    print(
        f"ZIP of {received / 2**30:.2f} GiB: worker RSS {baseline / 2**20:.0f} MiB before, "
        f"peak {max(samples) / 2**20:.0f} MiB (+{growth / 2**20:.1f} MiB) over {len(samples)} samples"
    )
    assert len(samples) > 10
    assert growth < MEMORY_BUDGET


def test_a_client_that_goes_away_stops_the_stream(big_album, one_worker):
    album, _ = big_album
    base, worker, log = one_worker

    with requests.get(f"{base}/albums/{album.pk}/download/", stream=True, timeout=60) as response:
        length = int(response.headers["Content-Length"])
        for received, _ in enumerate(response.iter_content(1024 * 1024), start=1):
            if received == 4:
                break
    # Leaving the block closed the connection after 4 MiB of the gigabyte.

    deadline = time.monotonic() + 60
    while "the client went away" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.2)
    line = next(line for line in log.read_text().splitlines() if "the client went away" in line)
    sent = int(line.split("stopped after ")[1].split(" bytes")[0])
    print(line)
    assert sent < length / 4, "the worker stopped long before the end"
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200, "and is free for the next request"
    assert worker.is_running()


def test_a_client_slower_than_the_workers_timeout_gets_the_whole_zip_while_the_worker_answers_others(
    big_album, tmp_path
):
    _, small = big_album  # 16 MiB: more than the sockets' buffers hold
    timeout = 3
    with gunicorn_with_one_worker(tmp_path, GUNICORN_CMD_ARGS=f"--timeout {timeout}") as (base, worker, log):
        with requests.get(f"{base}/albums/{small.pk}/download/", stream=True, timeout=60) as response:
            length = int(response.headers["Content-Length"])
            chunks = response.iter_content(64 * 1024)
            received = len(next(chunks))
            # A slow line: nothing read for twice the timeout, the worker's stream waiting on the socket.
            started = time.monotonic()
            while time.monotonic() - started < 2 * timeout:
                assert requests.get(f"{base}/healthz", timeout=timeout).status_code == 200, "others are answered"
                time.sleep(0.5)
            received += sum(len(chunk) for chunk in chunks)
        assert received == length > OBJECT_BYTES
        assert worker.is_running() and "WORKER TIMEOUT" not in log.read_text()
