"""A deployment of its own for the load and fault tests: PostgreSQL, SeaweedFS, gunicorn and job workers that a test
may stop.

The suite's shared servers are never stopped. These are started once per session by scripts/stack.py,
and PostgreSQL or S3 come back on the same port, data directory and credentials, as a restarted service would.
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid

import psutil
import psycopg
import requests
from django.conf import settings

from gallery.models import KEY_PREFIX, Photo
from gallery.tests.support import run_django, start_gunicorn, start_worker, stop_gunicorn, stop_worker, wait_until
from scripts.stack import BUCKET, make_temp_dir, start_postgres, start_s3

SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("uploader", password="correct horse battery")
print(Token.objects.create(user=user).key)
"""


class IsolatedSite:
    """gunicorn per the Procfile (DEBUG off, WEB_CONCURRENCY=2) on a PostgreSQL and an S3 of its own.

    url is the site's address, token an API token of user `uploader` (password "correct horse battery");
    postgres and s3 are scripts.stack servers, and database_stopped() / s3_stopped() take one down for a
    with block. No job worker runs unless a test starts some with running_workers().
    """

    def __init__(self, stack):
        self.postgres = start_postgres(stack)
        self.s3 = start_s3(stack)
        work = make_temp_dir(stack, "isolated-site-")
        self.log = work / "gunicorn.log"
        self.worker_log = work / "worker.log"
        self.env = {
            "PATH": os.environ["PATH"],
            "ENV_FILE": "",
            "DEBUG": "false",
            # Plain HTTP on 127.0.0.1, and one client uploading far more than a person would in an hour.
            "SECURE_SSL_REDIRECT": "false",
            "GALLERY_UPLOADS_PER_HOUR": "100000",
            "SECRET_KEY": uuid.uuid4().hex,
            "WEB_CONCURRENCY": "2",
            "DATABASE_URL": self.postgres.url(),
            # Uploads spooled to disk by a worker that is then killed stay in here, not in /tmp.
            "TMPDIR": str(work),
            **self.s3.env(),
        }
        setup = run_django(SETUP, "", **self.env)
        assert setup.returncode == 0, setup.stderr
        self.token = setup.stdout.strip()
        self.gunicorn, self.url = start_gunicorn(self.env, self.log)
        stack.callback(stop_gunicorn, self.gunicorn)
        self.bucket = self.s3.make_client()

    def upload(self, content, name="photo.jpg", session=requests, url=None, **fields):
        """POST an image to /api/photos (of `url`, another gunicorn, if given) with the token; return the response."""
        return session.post(
            f"{url or self.url}/api/photos",
            headers={"Authorization": f"Token {self.token}"},
            files={"photo": (name, content, "application/octet-stream")},
            data=fields,
            timeout=60,
        )

    def get(self, path):
        return requests.get(f"{self.url}{path}", timeout=60)

    def wait_until_healthy(self, timeout=30):
        """Wait until /healthz answers 200, as after a worker was restarted."""
        deadline = time.monotonic() + timeout
        while (status := self.get("/healthz").status_code) != 200:
            assert time.monotonic() < deadline, f"/healthz still answers {status}"
            time.sleep(0.2)

    def read_log(self, start=0):
        """gunicorn's output (Django's log included) from character `start` on."""
        return self.log.read_text(errors="replace")[start:]

    def connect(self):
        """A new connection to the site's database, in autocommit mode."""
        return psycopg.connect(self.postgres.url(), autocommit=True)

    def rows(self):
        """{object key: size} of every photo row."""
        with self.connect() as connection:
            return dict(connection.execute("SELECT image, size FROM gallery_photo").fetchall())

    def owned_keys(self):
        """The keys of every object the photo rows own: each original and its renditions (Photo.object_keys)."""
        with self.connect() as connection:
            rows = connection.execute("SELECT image, state FROM gallery_photo").fetchall()
        return {key for image, state in rows for key in Photo(image=image, state=state).object_keys()}

    def objects(self):
        """{key: size} of every object under photos/ in the site's bucket."""
        pages = self.bucket.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=KEY_PREFIX)
        return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}

    def workers(self):
        """gunicorn's worker processes."""
        return psutil.Process(self.gunicorn.pid).children()

    def workers_connected_to(self, port):
        """The pids of the workers with an open connection to a server on 127.0.0.1:port."""
        return {
            worker.pid
            for worker in self.workers()
            for conn in worker.net_connections("tcp")
            if conn.raddr and conn.raddr.port == port and conn.status == psutil.CONN_ESTABLISHED
        }

    def worker_with_connection(self, port):
        """The worker with an open TCP connection from or to the ephemeral `port` (a client's, or its own)."""
        for worker in self.workers():
            with contextlib.suppress(psutil.NoSuchProcess):
                for conn in worker.net_connections("tcp"):
                    if conn.raddr and port in (conn.laddr.port, conn.raddr.port):
                        return worker
        return None

    def manage(self, *args):
        """Run a manage.py command against the site's servers; return the CompletedProcess."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    @contextlib.contextmanager
    def running_workers(self, count):
        """`count` job workers (the Procfile's worker line) on the site's servers for a with block: their processes.

        Leaving the block stops those still running as the platform does (SIGTERM), after their current job.
        """
        workers = []
        try:
            for _ in range(count):
                workers.append(start_worker(self.env, self.worker_log))
            yield workers
        finally:
            for worker in workers:
                stop_worker(worker)

    def jobs(self, photo_ids=None):
        """{photo id: [(status, attempts), ...]} of the photo jobs, oldest first, of these photos or of all."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT (args->>'photo_id')::bigint, status, attempts FROM procrastinate_jobs"
                " WHERE task_name = 'gallery.process_photo' ORDER BY id"
            ).fetchall()
        jobs = {}
        for photo_id, status, attempts in rows:
            if photo_ids is None or photo_id in photo_ids:
                jobs.setdefault(photo_id, []).append((status, attempts))
        return jobs

    def states(self, photo_ids):
        """{photo id: state} of these photos."""
        with self.connect() as connection:
            rows = connection.execute("SELECT id, state FROM gallery_photo WHERE id = ANY(%s)", [list(photo_ids)])
            return dict(rows.fetchall())

    def wait_for_jobs(self, timeout=120):
        """Wait until no photo job is queued or running (a worker must run)."""
        wait_until(
            lambda: all(status not in ("todo", "doing") for jobs in self.jobs().values() for status, _ in jobs),
            "empty queue",
            timeout,
        )

    @contextlib.contextmanager
    def database_stopped(self):
        """PostgreSQL is down inside the block (fast shutdown) and started again on leaving it."""
        self.postgres.stop()
        try:
            yield
        finally:
            self.postgres.start()

    @contextlib.contextmanager
    def s3_stopped(self):
        """SeaweedFS is down inside the block and started again, with the same data, on leaving it."""
        self.s3.stop()
        try:
            yield
        finally:
            self.s3.start()
