"""S3 refusing the site's settings (no credentials, unknown keys, no such bucket) is reported as such.

Commands and the log name the variables to fix; clients still get the 503 of an outage, which says nothing of them.
"""

import logging
import os

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from gallery.tests.support import current_database_url, image_bytes, run_django, storages_with

pytestmark = pytest.mark.django_db

KEYS = "AWS_ACCESS_KEY_ID (or the old app's AWS_ACCESS_KEY) and AWS_SECRET_ACCESS_KEY (or the old app's AWS_SECRET_KEY)"


def reconcile_error():
    with pytest.raises(CommandError) as raised:
        call_command("reconcile_storage")
    return str(raised.value)


@pytest.mark.parametrize(
    ("options", "code"),
    [({"access_key": "nobody-knows-me"}, "InvalidAccessKeyId"), ({"secret_key": "wrong"}, "SignatureDoesNotMatch")],
)
def test_keys_s3_refuses_are_named_by_the_command_and_the_log(caplog, options, code):
    with override_settings(STORAGES=storages_with(**options)), caplog.at_level(logging.ERROR, "gallery.storage"):
        message = reconcile_error()

    assert f"refused this site's credentials ({code}: " in message and message.endswith(f"check {KEYS}.")
    assert "try again later" not in message
    assert [record.getMessage() for record in caplog.records] == [f"object storage is misconfigured: {message}"]


def test_a_missing_bucket_is_named(settings):
    with override_settings(STORAGES=storages_with(bucket_name="no-such-bucket-here")):
        message = reconcile_error()

    assert message == (
        f"S3 at {settings.AWS_S3_ENDPOINT_URL} has no bucket 'no-such-bucket-here': create it, "
        "or set AWS_STORAGE_BUCKET_NAME (or the old app's BUCKET_NAME)."
    )


def test_no_credentials_at_all_is_named(tmp_path):
    """What README's maintenance commands met on a stack whose keys they were not given."""
    result = run_django(
        "import django, sys; django.setup(); from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'reconcile_storage'])",
        tmp_path / "no.env",
        HOME=str(tmp_path),
        SECRET_KEY="test-only",
        DATABASE_URL=current_database_url(),
        AWS_S3_ENDPOINT_URL=os.environ["AWS_S3_ENDPOINT_URL"],
        AWS_STORAGE_BUCKET_NAME=os.environ["AWS_STORAGE_BUCKET_NAME"],
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"CommandError: S3 has no credentials (Unable to locate credentials): set {KEYS}."
    )


def test_clients_still_get_the_503_of_an_outage(upload, caplog):
    with override_settings(STORAGES=storages_with(secret_key="wrong")), caplog.at_level(logging.ERROR):
        response = upload(image_bytes())

    assert response.status_code == 503
    assert response.json() == {"detail": "The photo storage is unavailable; try again later."}
    assert any("refused this site's credentials" in record.getMessage() for record in caplog.records)
