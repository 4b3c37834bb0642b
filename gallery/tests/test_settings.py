"""Configuration: the FastAPI app's .env works unchanged, and bad values stop start-up with one clear line."""

import json

import pytest
from django.conf import settings
from django.db import connection

from gallery.tests.support import current_database_url, run_django

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
from django.core.files.storage import default_storage
from gallery.storage import check_bucket
connection.ensure_connection()
check_bucket()
print(json.dumps({
    "database": connection.settings_dict["NAME"],
    "engine": connection.settings_dict["ENGINE"],
    "bucket": default_storage.bucket_name,
    "endpoint": settings.AWS_S3_ENDPOINT_URL,
    "region": settings.AWS_S3_REGION_NAME,
    "cors": settings.CORS_ALLOWED_ORIGINS,
    "debug": settings.DEBUG,
    "url": default_storage.url("photos/x.jpg"),
}))
"""


def legacy_env_file(tmp_path, leave_out=()):
    """A .env as the FastAPI app read it, pointing at this run's real PostgreSQL and S3, without the names left out."""
    values = {
        "DATABASE_URL": current_database_url("postgresql+psycopg"),
        "AWS_ACCESS_KEY": settings.AWS_ACCESS_KEY_ID,
        "AWS_SECRET_KEY": settings.AWS_SECRET_ACCESS_KEY,
        "S3_ENDPOINT_URL": settings.AWS_S3_ENDPOINT_URL,
        "BUCKET_NAME": settings.AWS_STORAGE_BUCKET_NAME,
        "REGION_NAME": "auto",
        # Read by the FastAPI app, never used; photosite ignores it too.
        "S3_PUBLIC_URL": "https://photos-cdn.example.com",
        "CORS_ORIGINS": "http://localhost:5173,https://photos.example.com",
    }
    path = tmp_path / ".env"
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items() if name not in leave_out))
    return path


@pytest.mark.django_db
def test_fastapi_env_file_works_unchanged(tmp_path):
    result = run_django(PROBE, legacy_env_file(tmp_path), SECRET_KEY="test-only")

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["database"] == connection.settings_dict["NAME"]
    assert seen["bucket"] == settings.AWS_STORAGE_BUCKET_NAME
    assert seen["endpoint"] == settings.AWS_S3_ENDPOINT_URL
    assert seen["region"] == "auto"
    assert seen["cors"] == ["http://localhost:5173", "https://photos.example.com"]
    assert seen["debug"] is False
    assert seen["url"].startswith(f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/photos/x.jpg?")


@pytest.mark.django_db
def test_fastapi_env_file_without_bucket_name_uses_that_apps_bucket_photos(tmp_path):
    """The old app's .env.sample has no BUCKET_NAME: its default, photos, is the bucket its photos are in."""
    assert settings.AWS_STORAGE_BUCKET_NAME == "photos", "scripts/stack.py's bucket, as the old app's default"

    result = run_django(PROBE, legacy_env_file(tmp_path, leave_out={"BUCKET_NAME"}), SECRET_KEY="test-only")

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert (seen["bucket"], seen["endpoint"]) == ("photos", settings.AWS_S3_ENDPOINT_URL)


DEFAULTS_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps([settings.AWS_STORAGE_BUCKET_NAME, settings.AWS_S3_ENDPOINT_URL, settings.AWS_S3_REGION_NAME]))
"""


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        # The old app's names alone: its defaults for what is missing (its config module's).
        ({"AWS_ACCESS_KEY": "key", "AWS_SECRET_KEY": "secret"}, ["photos", "http://localhost:9000", "auto"]),
        ({"S3_ENDPOINT_URL": "https://r2.example.com"}, ["photos", "https://r2.example.com", "auto"]),
        # The new names: theirs, AWS itself and us-east-1.
        ({"AWS_STORAGE_BUCKET_NAME": "mine"}, ["mine", None, "us-east-1"]),
        ({"AWS_STORAGE_BUCKET_NAME": "mine", "REGION_NAME": "eu-west-3"}, ["mine", None, "eu-west-3"]),
    ],
)
def test_the_old_apps_defaults_apply_to_its_names_only(tmp_path, environ, expected):
    result = run_django(DEFAULTS_PROBE, tmp_path / "no.env", **{**GOOD, "AWS_STORAGE_BUCKET_NAME": "", **environ})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


@pytest.mark.django_db
def test_environment_wins_over_env_file_and_new_names_over_old(tmp_path):
    result = run_django(
        PROBE,
        legacy_env_file(tmp_path),
        SECRET_KEY="test-only",
        AWS_S3_REGION_NAME="us-east-1",
        CORS_ALLOWED_ORIGINS="https://new.example.com",
        DEBUG="true",
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert (seen["region"], seen["cors"], seen["debug"]) == ("us-east-1", ["https://new.example.com"], True)


GOOD = {
    "SECRET_KEY": "test-only",
    "DATABASE_URL": "postgres://user@127.0.0.1:5432/photosite",
    "AWS_STORAGE_BUCKET_NAME": "photos",
}


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"AWS_STORAGE_BUCKET_NAME": ""}, "AWS_STORAGE_BUCKET_NAME"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mongodb://host/db"}, "DATABASE_URL"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"GALLERY_MAX_UPLOAD_MB": "lots"}, "GALLERY_MAX_UPLOAD_MB"),
        ({"GALLERY_MAX_PIXELS": "0"}, "GALLERY_MAX_PIXELS"),
        ({"AWS_QUERYSTRING_EXPIRE": "1h"}, "AWS_QUERYSTRING_EXPIRE"),
        ({"AWS_QUERYSTRING_EXPIRE": "604801"}, "AWS_QUERYSTRING_EXPIRE"),
        ({"GALLERY_ALLOW_ANONYMOUS_UPLOADS": "sometimes"}, "GALLERY_ALLOW_ANONYMOUS_UPLOADS"),
        ({"AWS_S3_ADDRESSING_STYLE": "sideways"}, "AWS_S3_ADDRESSING_STYLE"),
        ({"AWS_S3_ENDPOINT_URL": "localhost:8333"}, "AWS_S3_ENDPOINT_URL"),
        ({"S3_ENDPOINT_URL": "ftp://files.example.com"}, "S3_ENDPOINT_URL"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "SECURE_PROXY_SSL_HEADER"),
        ({"SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT"),
        ({"NUM_PROXIES": "-1"}, "NUM_PROXIES"),
        ({"GALLERY_UPLOADS_PER_HOUR": "lots"}, "GALLERY_UPLOADS_PER_HOUR"),
        ({"GALLERY_UPLOADS_PER_HOUR_PER_IP": "0"}, "GALLERY_UPLOADS_PER_HOUR_PER_IP"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
        ({"DATABASE_URL": "sqlite:///var/db.sqlite3"}, "DATABASE_URL"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, change, variable):
    result = run_django("import django; django.setup()", tmp_path / "no.env", **{**GOOD, **change})

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert variable in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("AWS_STORAGE_BUCKET_NAME", "AWS_STORAGE_BUCKET_NAME (or the old app's BUCKET_NAME) is not set"),
        ("DATABASE_URL", "DATABASE_URL is not set"),
    ],
)
def test_a_missing_setting_names_its_old_name_too(tmp_path, missing, message):
    result = run_django("import django; django.setup()", tmp_path / "no.env", **{**GOOD, missing: ""})

    assert result.stderr.strip() == f"photosite: configuration error: {message}"


def test_sqlite_is_refused_with_what_is_needed(tmp_path):
    result = run_django("import django; django.setup()", tmp_path / "no.env", **{**GOOD, "DATABASE_URL": "sqlite:///x"})

    assert result.stderr.strip() == (
        "photosite: configuration error: DATABASE_URL must be a PostgreSQL URL (postgres://...), not sqlite://"
    )


def test_good_settings_start(tmp_path):
    assert run_django("import django; django.setup()", tmp_path / "no.env", **GOOD).returncode == 0


def test_debug_may_run_without_a_secret_key(tmp_path):
    result = run_django(
        "import django; django.setup()", tmp_path / "no.env", **{**GOOD, "SECRET_KEY": "", "DEBUG": "1"}
    )

    assert result.returncode == 0, result.stderr
