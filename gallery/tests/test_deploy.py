"""Deploy steps as platforms run them: `migrate` alone prepares a database; `collectstatic` needs nothing configured."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from gallery.tests.support import (
    current_database_url,
    image_bytes,
    procfile_line,
    run_django,
    running_gunicorn,
    upload_over_http,
)

pytestmark = pytest.mark.server

BASE_DIR = Path(settings.BASE_DIR)
# The venv's python and gunicorn first, as a platform's image has them on its PATH.
PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

MAKE_UPLOADER = """
import django
django.setup()
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
print(Token.objects.create(user=get_user_model().objects.create_user("deployer")).key)
"""


@pytest.fixture
def empty_database():
    """The URL of a new, empty database on the suite's PostgreSQL, dropped afterwards."""
    name = f"photosite_deploy_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"{current_database_url().rsplit('/', 1)[0]}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_deploy_that_runs_only_migrate_takes_uploads(empty_database, tmp_path):
    """Platforms, Dockerfiles and Kubernetes jobs run `manage.py migrate` and nothing else; so does the Procfile."""
    assert procfile_line("release") == "python manage.py migrate"
    env = {**os.environ, "PATH": PATH, "DATABASE_URL": empty_database}

    release = subprocess.run(
        ["sh", "-c", procfile_line("release")], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert release.returncode == 0, release.stderr
    made = run_django(MAKE_UPLOADER, tmp_path / "no.env", **env)
    assert made.returncode == 0, made.stderr

    with running_gunicorn(DATABASE_URL=empty_database) as (base, _):
        created = upload_over_http(base, made.stdout.strip(), image_bytes())

    assert created.status_code == 201, created.text


def test_collectstatic_runs_with_no_secret_database_or_bucket():
    """A build step: it runs before the database and the bucket exist, where no secret is given."""
    env = {"PATH": PATH, "ENV_FILE": ""}
    command = [sys.executable, "manage.py", "collectstatic", "--noinput"]

    collected = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    migrated = subprocess.run([*command[:2], "migrate"], cwd=BASE_DIR, env=env, capture_output=True, text=True)

    assert collected.returncode == 0, collected.stderr
    assert "static files" in collected.stdout and (BASE_DIR / "staticfiles" / "staticfiles.json").is_file()
    assert migrated.returncode == 1, "every other command still needs its settings"
    assert migrated.stderr.strip() == "photosite: configuration error: SECRET_KEY is not set"
