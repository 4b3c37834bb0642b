"""Object storage helpers around django-storages' S3 backend: errors, health and deferred deletes."""

import logging
from contextlib import contextmanager

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import default_storage
from django.db import transaction

logger = logging.getLogger(__name__)

# What boto3 raises when S3 is unreachable, refuses the credentials or fails a transfer.
S3_ERRORS = (BotoCoreError, ClientError, Boto3Error)


class StorageUnavailable(Exception):
    """S3 could not be reached or refused the request."""


@contextmanager
def storage_errors():
    """Turn boto3's many exceptions into StorageUnavailable, so callers can answer 503."""
    try:
        yield
    except S3_ERRORS as error:
        logger.warning("object storage failed: %s", error)
        raise StorageUnavailable("The photo storage is unavailable; try again later.") from error


def check_bucket():
    """Raise StorageUnavailable unless the bucket answers (one HEAD request)."""
    with storage_errors():
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)


def delete_after_commit(name, storage=default_storage):
    """Delete an object once the current transaction commits, and never when it rolls back."""

    def delete():
        try:
            with storage_errors():
                storage.delete(name)
        except StorageUnavailable:
            # The row is gone; the object stays as an orphan for an operator to clear.
            logger.error("could not delete object %s after its row was deleted", name)

    transaction.on_commit(delete)
