"""The library's jobs: the trash's timed purge, and reading the metadata of photos stored before it was read at
upload (gallery.library.trash and gallery.library.backfill do the work)."""

import logging

from django.conf import settings

from gallery.jobs.queue import PHOTOS_QUEUE, RETRY, app, defer_once, periodic
from gallery.library import backfill, trash

logger = logging.getLogger(__name__)

EXTRACT_METADATA_TASK = "gallery.extract_metadata"


@periodic(settings.GALLERY_TRASH_PURGE_CRON)
def purge_trash(timestamp):
    """Delete forever what has been in the trash longer than GALLERY_TRASH_DAYS, with its objects in the bucket."""
    if purged := trash.purge_expired():
        logger.info("deleted %d photos that were in the trash over %d days", purged, settings.GALLERY_TRASH_DAYS)


@app.task(name=EXTRACT_METADATA_TASK, queue=PHOTOS_QUEUE, retry=RETRY)
def extract_metadata_job(photo_id):
    """The job of one photo stored before its metadata was read at upload: backfill.extract_metadata, retried on
    S3 and database failures; an original missing from the bucket fails it at once."""
    outcome = backfill.extract_metadata(photo_id)
    if outcome == backfill.Outcome.DUPLICATE:
        logger.info("photo %s: its owner has another photo of the same bytes; no checksum kept", photo_id)


def defer_extract_metadata(photo_ids):
    """Queue the metadata job of each photo; returns how many were queued (one waits per photo at a time)."""
    return sum(defer_once(extract_metadata_job, f"metadata:{pk}", photo_id=pk) for pk in photo_ids)
