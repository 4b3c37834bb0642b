"""The processes the benchmark measures: gunicorn and job workers as the Procfile runs them, and waiting for the
jobs they do."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django

from gallery.models import Photo, PhotoState
from scripts.bench import BASE_DIR
from scripts.bench.client import request
from scripts.stack import free_ports


@contextlib.contextmanager
def gunicorn(workers=2, **environ):
    """gunicorn as the Procfile runs it, DEBUG off, on plain HTTP; yields (address, master process)."""
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "WEB_CONCURRENCY": str(workers),
        "GALLERY_UPLOADS_PER_HOUR": "1000000",
        "GALLERY_UPLOADS_PER_HOUR_PER_IP": "1000000",
        "LOG_LEVEL": "WARNING",
        **environ,
    }
    command = [str(Path(sys.executable).with_name("gunicorn")), "photosite.wsgi", "--bind", f"127.0.0.1:{port}"]
    # gunicorn's own log goes to the terminal only when it fails to start.
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-gunicorn-{port}.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request("127.0.0.1", port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"gunicorn did not start:\n{log.read().decode(errors='replace')}")
            time.sleep(0.2)
        yield ("127.0.0.1", port), process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        log.close()
        Path(log.name).unlink()


def newest_worker_id():
    with django.db.connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


@contextlib.contextmanager
def job_workers(count=1):
    """`count` job workers as the Procfile runs them; yields their processes once all have registered."""
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "procrastinate", "worker"]
    before = newest_worker_id()
    processes = [subprocess.Popen(command, cwd=BASE_DIR, env=env) for _ in range(count)]
    try:
        deadline = time.monotonic() + 60
        while newest_worker_id() < before + count:
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                raise SystemExit("the job workers did not start")
            time.sleep(0.1)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)


def wait_ready(photo_ids, timeout=600):
    """Wait until none of these photos is processing; return the time it took."""
    start, deadline = time.perf_counter(), time.monotonic() + timeout
    while Photo.objects.filter(pk__in=photo_ids, state=PhotoState.PROCESSING).exists():
        assert time.monotonic() < deadline, "photos still processing"
        time.sleep(0.002)
    return time.perf_counter() - start


def drop_waiting_jobs():
    """Forget the jobs still queued (the benchmark's uploads made without a worker running)."""
    with django.db.connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
