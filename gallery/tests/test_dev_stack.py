"""`make run` and `make manage` as a newcomer runs them: the real Makefile, PostgreSQL and SeaweedFS with data kept.

Each test gives them a VAR directory and an ENV_FILE of its own, so the developer's var/ and .env are never touched,
and an environment without the suite's own DATABASE_URL and AWS_* settings.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from gallery.tests.support import current_database_url, free_port, image_bytes, upload_over_http

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "correct horse battery"
# What make run and make manage must not inherit from the suite: its servers, and names that configure S3.
SUITE_SETTINGS = ("DATABASE_URL", "AWS_", "S3_", "BUCKET_NAME", "REGION_NAME", "SECRET_KEY", "DEBUG", "PORT")


def newcomer_env(**environ):
    """The environment of a developer's shell: none of the suite's settings."""
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith(SUITE_SETTINGS)},
        **environ,
    }


def make(target, *variables, env, timeout=300):
    return subprocess.run(
        ["make", "-s", "--no-print-directory", target, *variables],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class MakeRun:
    """`make run` in a session of its own, as in a terminal; interrupt() is Ctrl-C."""

    def __init__(self, env, **variables):
        self.process = subprocess.Popen(
            ["make", "-s", "--no-print-directory", "run", *(f"{name}={value}" for name, value in variables.items())],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines, self.unread = [], queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.process.stdout:
            self.unread.put(line.rstrip("\n"))
        self.unread.put(None)

    def wait_for(self, text, timeout=180):
        """Collect the output until a line holds `text`; fail if make run ends or takes longer."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            try:
                line = self.unread.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} after {timeout} s:\n" + "\n".join(self.lines)) from None
            assert line is not None, f"make run ended before {text!r}:\n" + "\n".join(self.lines)
            self.lines.append(line)

    def interrupt(self):
        """Ctrl-C: SIGINT to the terminal's process group. Return what make run printed from then on.

        Fails unless make ends as Ctrl-C ends it, without an error of its own.
        """
        seen = len(self.lines)
        os.killpg(self.process.pid, signal.SIGINT)
        status = self.process.wait(90)
        while (line := self.unread.get(timeout=10)) is not None:
            self.lines.append(line)
        # make, interrupted too, ends by the same signal once its command has ended.
        assert status in (0, -signal.SIGINT), "\n".join(self.lines)
        return self.lines[seen:]

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(90)


@pytest.fixture
def var():
    """A VAR directory for make run's data, which PostgreSQL's own user may reach (pytest's tmp_path is private)."""
    base = Path(tempfile.mkdtemp(prefix="photosite-dev-"))
    base.chmod(0o755)
    yield base / "var"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def make_run():
    started = []

    def start(env, **variables):
        started.append(MakeRun(env, **variables))
        return started[-1]

    yield start
    for run in started:
        run.kill()


def manage(command, var, env_file, **environ):
    result = make("manage", f"VAR={var}", f"ENV_FILE={env_file}", f"CMD={command}", env=newcomer_env(**environ))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_run_serves_with_one_banner_and_make_manage_reaches_its_database_and_s3(tmp_path, var, make_run):
    env_file, port, s3_port = tmp_path / "no.env", free_port(), free_port()
    run = make_run(newcomer_env(), PORT=port, S3_PORT=s3_port, VAR=var, ENV_FILE=env_file)
    run.wait_for(f"Starting development server at http://127.0.0.1:{port}/")

    start = run.lines.index("photosite is running, DEBUG on:")
    site, admin, database, s3, uploads, stop = run.lines[start + 1 : start + 7]
    assert site == f"  Site:      http://127.0.0.1:{port}/"
    assert admin == f"  Admin:     http://127.0.0.1:{port}/admin/   (an account: make manage CMD=createsuperuser)"
    assert database.startswith("  Database:  postgres://postgres@127.0.0.1:")
    assert database.endswith(f"/photosite  (local PostgreSQL, data in {var / 'postgres'})")
    assert s3 == f"  S3:        http://127.0.0.1:{s3_port}, bucket photos  (local SeaweedFS, data in {var / 's3'})"
    assert uploads == "  Uploads:   straight from the browser to S3"
    for origin, status in ((f"http://localhost:{port}", 200), ("https://elsewhere.example", 403)):
        preflight = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
        answer = requests.options(f"http://127.0.0.1:{s3_port}/photos/incoming/x", headers=preflight, timeout=10)
        assert answer.status_code == status, "configure_bucket let the site's origins in, and only them"
    assert stop == "Ctrl-C stops it all. `make manage CMD=...` in another terminal uses the same database and S3."
    output = "\n".join(run.lines)
    assert output.count("photosite is running") == 1
    for noise in ("AXES", "already exists", "WARNING", "Traceback", "stack:"):
        assert noise not in output
    assert json.loads((var / "s3-keys.json").read_text())["secret_key"] not in output
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200

    # A second terminal: an account, its token, and the site's own maintenance commands.
    superuser = "createsuperuser --noinput --username admin --email admin@example.com"
    manage(superuser, var, env_file, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    token = manage("drf_create_token admin", var, env_file).split()[2]
    created = upload_over_http(f"http://127.0.0.1:{port}", token, image_bytes())
    assert created.status_code == 201, created.text
    summary = "Summary: 4 objects under photos/, 1 photo; 0 orphaned objects"
    assert manage("reconcile_storage", var, env_file).startswith(summary)

    stopping = run.interrupt()
    assert not any("Error" in line or "Traceback" in line for line in stopping), stopping
    assert not (var / "postgres" / "data" / "postmaster.pid").exists() and not (var / "s3-running.json").exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", s3_port)) != 0, "SeaweedFS stopped with make run"

    # Stopped, make manage starts them itself: the data and the S3 keys were kept.
    assert manage("reconcile_storage", var, env_file).startswith(summary)


@pytest.mark.usefixtures("django_db_setup")
def test_make_run_with_the_old_apps_env_uses_its_database_and_s3_and_starts_neither(tmp_path, make_run):
    """The FastAPI app's .env, which has no BUCKET_NAME: photos, its default, is where the photos are."""
    env_file, var, port = tmp_path / ".env", tmp_path / "var", free_port()
    env_file.write_text(
        f"DATABASE_URL={current_database_url('postgresql+psycopg')}\n"
        f"AWS_ACCESS_KEY={settings.AWS_ACCESS_KEY_ID}\nAWS_SECRET_KEY={settings.AWS_SECRET_ACCESS_KEY}\n"
        f"S3_ENDPOINT_URL={settings.AWS_S3_ENDPOINT_URL}\n"
    )
    with socket.socket() as taken:
        # Were make run to start its own S3, this port would stop it.
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = make_run(newcomer_env(), PORT=port, S3_PORT=taken.getsockname()[1], VAR=var, ENV_FILE=env_file)
        run.wait_for(f"Starting development server at http://127.0.0.1:{port}/")

        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)

    assert health.json() == {"status": "ok", "database": "ok", "storage": "ok"}
    db = settings.DATABASES["default"]
    assert f"  Database:  postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}  (configured)" in run.lines
    assert f"  S3:        {settings.AWS_S3_ENDPOINT_URL}, bucket photos  (configured, in the old app's names)" in (
        run.lines
    )
    run.interrupt()
    assert not var.exists(), "neither PostgreSQL nor SeaweedFS was started"


@pytest.mark.parametrize("variable", ["PORT", "S3_PORT"])
def test_a_taken_port_names_the_variable_that_moves_it(tmp_path, variable):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        variables = {"PORT": free_port(), "S3_PORT": free_port(), variable: port}
        variables.update(VAR=tmp_path / "var", ENV_FILE=tmp_path / "no.env")
        result = make("run", *(f"{name}={value}" for name, value in variables.items()), env=newcomer_env(), timeout=60)

    assert result.returncode != 0
    assert f"make run: port {port} is in use; choose another with {variable}, e.g. {variable}={port + 1}" in (
        result.stderr.splitlines()
    )
    assert not (tmp_path / "var").exists(), "nothing was started"
