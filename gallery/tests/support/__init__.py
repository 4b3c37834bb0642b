"""Helpers the tests import (conftest.py keeps the fixtures): image bytes, photos and the bucket's contents, other
processes."""

from gallery.tests.support.images import distinct_image_bytes, heic_bytes, image_bytes, photo_exif, png_chunk
from gallery.tests.support.processes import (
    current_database_url,
    free_port,
    gunicorn,
    procfile_command,
    procfile_line,
    run_django,
    run_django_without_database,
    running_gunicorn,
    start_gunicorn,
    start_logged,
    start_worker,
    stop_gunicorn,
    stop_worker,
    upload_over_http,
    wait_until,
    when_ready,
)
from gallery.tests.support.storage import album_of, processed_photo, storages_with, stored_keys, stored_photo

__all__ = [
    "album_of",
    "current_database_url",
    "distinct_image_bytes",
    "free_port",
    "gunicorn",
    "heic_bytes",
    "image_bytes",
    "photo_exif",
    "png_chunk",
    "processed_photo",
    "procfile_command",
    "procfile_line",
    "run_django",
    "run_django_without_database",
    "running_gunicorn",
    "start_gunicorn",
    "start_logged",
    "start_worker",
    "stop_gunicorn",
    "stop_worker",
    "storages_with",
    "stored_keys",
    "stored_photo",
    "upload_over_http",
    "wait_until",
    "when_ready",
]
