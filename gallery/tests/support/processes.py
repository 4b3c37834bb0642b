"""Other processes for tests: Django in a fresh environment, gunicorn and job workers per the Procfile, free ports."""

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def upload_over_http(base, token, content, name="photo.jpg"):
    """POST a photo to the site at `base` as the user of API token `token`, as a script would; the response."""
    return requests.post(
        f"{base}/api/photos",
        headers={"Authorization": f"Token {token}"},
        files={"photo": (name, content, "image/jpeg")},
        timeout=60,
    )
