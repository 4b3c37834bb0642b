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


def legacy_env_file(tmp_path):
    """A .env as the FastAPI app read it, pointing at this run's real PostgreSQL and S3."""
    path = tmp_path / ".env"
    path.write_text(
        "\n".join(
            [
                f"DATABASE_URL={current_database_url('postgresql+psycopg')}",
                f"AWS_ACCESS_KEY={settings.AWS_ACCESS_KEY_ID}",
                f"AWS_SECRET_KEY={settings.AWS_SECRET_ACCESS_KEY}",
                f"S3_ENDPOINT_URL={settings.AWS_S3_ENDPOINT_URL}",
                f"BUCKET_NAME={settings.AWS_STORAGE_BUCKET_NAME}",
                "REGION_NAME=auto",
                "CORS_ORIGINS=http://localhost:5173,https://photos.example.com",
                "",
            ]
        )
    )
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
    ],
)
def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, change, variable):
    result = run_django("import django; django.setup()", tmp_path / "no.env", **{**GOOD, **change})

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert variable in result.stderr and "Traceback" not in result.stderr


def test_good_settings_start(tmp_path):
    assert run_django("import django; django.setup()", tmp_path / "no.env", **GOOD).returncode == 0


def test_debug_may_run_without_a_secret_key(tmp_path):
    result = run_django(
        "import django; django.setup()", tmp_path / "no.env", **{**GOOD, "SECRET_KEY": "", "DEBUG": "1"}
    )

    assert result.returncode == 0, result.stderr
