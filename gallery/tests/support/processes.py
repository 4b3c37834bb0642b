"""Other processes for tests: Django in a fresh environment, gunicorn per the Procfile, free ports."""

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

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


def start_gunicorn(env, log=None):
    """gunicorn from the Procfile's web line on a free port, with env; return (process, base URL) once it answers."""
    port = free_port()
    command = procfile_command("web")
    assert command[:2] == ["gunicorn", "photosite.wsgi"]
    with open(log, "ab") if log else contextlib.nullcontext() as output:
        process = subprocess.Popen(
            [*gunicorn(command), "--bind", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                return process, base
            except requests.ConnectionError:
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
    except BaseException:
        stop_gunicorn(process)
        raise


def stop_gunicorn(process):
    """Stop gunicorn gracefully: its master waits for the workers."""
    process.terminate()
    process.wait(timeout=30)


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
