"""ZIP downloads streamed from S3 as they are sent (zipstream-ng): a worker holds a chunk at a time, never a file.

Each object is opened only when the archive reaches it, read in chunks and closed after; a client that goes away
makes the server close the response, which closes the S3 stream in progress and stops the rest.
"""

import logging
import re
from pathlib import PurePosixPath

from django.http import StreamingHttpResponse
from zipstream import ZIP_STORED, ZipStream

from gallery.models import rendition_key
from gallery.storage import storage_errors

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
UNSAFE_NAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def object_chunks(storage, key):
    """The bytes of one S3 object, a chunk at a time, from a GET that starts only when the first chunk is wanted."""
    with storage_errors():
        body = storage.bucket.meta.client.get_object(Bucket=storage.bucket_name, Key=storage._normalize_name(key))[
            "Body"
        ]
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def entry_name(number, photo, extension):
    """`0001 Title.jpg`: the photo's place and title, without characters that no file system takes."""
    title = UNSAFE_NAME_CHARACTERS.sub(" ", photo.title).strip(" .")[:100] or f"photo {photo.pk}"
    return f"{number:04d} {title}.{extension}"


def zip_response(photos, filename, originals=True):
    """A streamed ZIP of `photos`: their originals, or their display sizes when `originals` is false.

    Photos whose display size is not made yet are left out of a display-size archive: their original stands in
    for it elsewhere, but an archive of display sizes promises no originals. With originals the size of every
    entry is known, so the response has a Content-Length.
    """
    photos = list(photos)
    archive = ZipStream(compress_type=ZIP_STORED, sized=originals)
    for number, photo in enumerate(photos, start=1):
        storage = photo.image.storage
        if originals:
            key, size = photo.image.name, photo.size
        elif photo.is_ready:
            key, size = rendition_key(photo.image.name, "display"), None
        else:
            continue
        archive.add(object_chunks(storage, key), entry_name(number, photo, PurePosixPath(key).suffix[1:]), size=size)
    response = StreamingHttpResponse(watched(archive, filename), content_type="application/zip")
    if originals:
        response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def watched(archive, filename):
    """The archive's bytes, logging how far it got when the client went away before the end."""
    sent = 0
    finished = False
    try:
        for chunk in archive:
            sent += len(chunk)
            yield chunk
        finished = True
    finally:
        if not finished:
            logger.info("ZIP download %s stopped after %d bytes: the client went away", filename, sent)


def archive_name(title):
    """A safe file name for an archive of `title`."""
    name = UNSAFE_NAME_CHARACTERS.sub(" ", title).strip(" .")[:100] or "photos"
    # Content-Disposition's quoted filename takes ASCII; other characters become underscores.
    return f"{name.encode('ascii', 'replace').decode().replace('?', '_')}.zip"
