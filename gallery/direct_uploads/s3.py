"""The S3 calls of direct uploads, on the photo storage's bucket (its client, its AWS_LOCATION prefix, its errors).

Pre-signed requests are for the client to send its bytes: a POST whose policy pins the object's exact size, or
UploadPart PUTs each signed for its part's exact Content-Length. Nothing here signs a GET of an incoming object.
"""

import logging

from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from django.db import transaction
from storages.utils import clean_name

from gallery.storage import StorageUnavailable, delete_object, storage_errors

logger = logging.getLogger(__name__)

# What a download copies at a time into the job's spool file.
DOWNLOAD_CHUNK = 1024 * 1024


def client():
    """The storage's boto3 client, made once and shared between threads (gallery.storage.PhotoStorage)."""
    return default_storage.bucket.meta.client


def address(name):
    """{"Bucket": ..., "Key": ...} of a storage name, AWS_LOCATION's prefix included."""
    return {"Bucket": default_storage.bucket_name, "Key": default_storage._normalize_name(clean_name(name))}


def start_multipart(name):
    """Start an S3 multipart upload of `name`; its UploadId."""
    with storage_errors():
        return client().create_multipart_upload(**address(name))["UploadId"]


def part_url(name, upload_id, part_number, length, expires):
    """A URL that PUTs part `part_number` of exactly `length` bytes, valid for `expires` seconds."""
    params = {**address(name), "UploadId": upload_id, "PartNumber": part_number, "ContentLength": length}
    with storage_errors():
        return client().generate_presigned_url("upload_part", Params=params, ExpiresIn=expires)


def post_form(name, size, expires):
    """{url, fields} of a pre-signed POST that stores exactly `size` bytes as `name`, valid for `expires` seconds.

    The fields go first in the multipart/form-data body, the file (field `file`) last.
    """
    where = address(name)
    with storage_errors():
        return client().generate_presigned_post(
            where["Bucket"], where["Key"], Conditions=[["content-length-range", size, size]], ExpiresIn=expires
        )


def held_parts(name, upload_id):
    """[{PartNumber, Size, ETag}, ...] of the parts S3 holds for this multipart upload, by number; [] if none.

    A part sent twice counts once, as its latest upload: S3 keeps only that, but SeaweedFS lists both. Raises
    NoSuchUpload when S3 knows no such upload (aborted, or completed).
    """
    parts = []
    with storage_errors():
        try:
            pages = client().get_paginator("list_parts").paginate(**address(name), UploadId=upload_id)
            for page in pages:
                parts += page.get("Parts", [])
        except ClientError as error:
            if error_code(error) == "NoSuchUpload":
                raise NoSuchUpload(name) from error
            raise
    latest = {part["PartNumber"]: part for part in sorted(parts, key=lambda part: part["LastModified"])}
    return [latest[number] for number in sorted(latest)]


class NoSuchUpload(Exception):
    """S3 knows no multipart upload of this key with this id."""


def complete_multipart(name, upload_id, parts):
    """Join the parts (as held_parts lists them, S3's own ETags) into the object."""
    chosen = [{"PartNumber": part["PartNumber"], "ETag": part["ETag"]} for part in parts]
    with storage_errors():
        client().complete_multipart_upload(**address(name), UploadId=upload_id, MultipartUpload={"Parts": chosen})


def abort_multipart(name, upload_id):
    """Abort a multipart upload, deleting its parts; one S3 no longer knows is fine."""
    with storage_errors():
        try:
            client().abort_multipart_upload(**address(name), UploadId=upload_id)
        except ClientError as error:
            if error_code(error) != "NoSuchUpload":
                raise


def object_size(name):
    """The size of the object `name` (HeadObject), or None when there is none."""
    with storage_errors():
        try:
            return client().head_object(**address(name))["ContentLength"]
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise


def first_bytes(name, count):
    """The first `count` bytes of the object (fewer if it is smaller), with one ranged GET."""
    with storage_errors():
        answer = client().get_object(**address(name), Range=f"bytes=0-{count - 1}")
        return answer["Body"].read()


def download(name, file):
    """Copy the object into `file`, a chunk at a time; return its size."""
    with storage_errors():
        body = client().get_object(**address(name))["Body"]
        for chunk in body.iter_chunks(DOWNLOAD_CHUNK):
            file.write(chunk)
    return file.tell()


def discard(name, upload_id=""):
    """Abort the multipart upload, if any, and delete the object: a session's bytes, wherever they are.

    S3 failing leaves them for the lifecycle rule and reconcile_storage, logged, rather than raising.
    """
    if upload_id:
        try:
            abort_multipart(name, upload_id)
        except StorageUnavailable:
            logger.error("could not abort the multipart upload of %s", name)
    delete_object(name, default_storage)


def discard_after_commit(name, upload_id=""):
    """discard() once the current transaction commits, and never when it rolls back."""
    transaction.on_commit(lambda: discard(name, upload_id))


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")
