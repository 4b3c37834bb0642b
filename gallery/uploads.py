"""Uploads: the size limit enforced while the request body streams in, and the image an upload stores."""

import dataclasses

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from gallery.images import detect_image, without_location
from gallery.library.duplicates import checksum_of
from gallery.memory import one_image_at_a_time

# Room for the multipart envelope and the text fields around the files.
ENVELOPE_BYTES = 1024 * 1024


# Said when a request carries several files in the one field for a photo: the API, the pages and the admin say it.
ONE_FILE_ONLY = "Send one file in this field, not several."


class UploadTooLarge(Exception):
    """The request carries more file bytes than GALLERY_MAX_UPLOAD_MB allows."""

    def __init__(self, limit_bytes):
        self.limit_bytes = limit_bytes
        super().__init__(f"The file is too large: the limit is {limit_bytes // (1024 * 1024)} MB.")


class UploadRejected(Exception):
    """Bytes already sent (a direct upload's, at completion) failed an upload's check; the message says why, in the
    words POST /api/photos uses."""


def max_upload_bytes():
    return settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024


class SizeLimitedUploadHandler(FileUploadHandler):
    """Refuse an oversized upload from its Content-Length, or after the limit's worth of file bytes.

    It goes first in FILE_UPLOAD_HANDLERS, so nothing past the limit reaches the
    handlers that buffer in memory or on disk, and the rest of the body is never read.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = max_upload_bytes()
        self.received = 0
        if content_length > self.limit + ENVELOPE_BYTES:
            raise UploadTooLarge(self.limit)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


def uploaded_image(file):
    """The DetectedImage an uploaded file is stored as: decoded from its bytes, with the checksum of those bytes,
    and without its location unless GALLERY_KEEP_LOCATION. Raises ValidationError. The form, the API and the
    admin all take this path."""
    with one_image_at_a_time:
        image = dataclasses.replace(detect_image(file), checksum=checksum_of(file))
        return image if settings.GALLERY_KEEP_LOCATION else without_location(image)
