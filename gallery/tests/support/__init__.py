"""Helpers the tests import (conftest.py keeps the fixtures): image bytes, the bucket's contents, other processes."""

from gallery.tests.support.images import heic_bytes, image_bytes, photo_exif, png_chunk
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
    stop_gunicorn,
)
from gallery.tests.support.storage import storages_with, stored_keys, stored_photo

__all__ = [
    "current_database_url",
    "free_port",
    "gunicorn",
    "heic_bytes",
    "image_bytes",
    "photo_exif",
    "png_chunk",
    "procfile_command",
    "procfile_line",
    "run_django",
    "run_django_without_database",
    "running_gunicorn",
    "start_gunicorn",
    "stop_gunicorn",
    "storages_with",
    "stored_keys",
    "stored_photo",
]
