"""A photo's processing, run by a job worker once its upload is stored: the renditions, and any other step.

Each step is a function step(photo, image) registered with @photo_step; image is the original decoded at
about the display size (a DetectedImage with pixels). A step sets what it finds on `photo` and returns the
names of the fields it set, which are saved with the state `ready` once every step is done. Steps must be
idempotent: a job that dies half-way, or is retried after S3 failed, runs them all again from the start.
"""

import logging

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from gallery import images
from gallery.jobs.queue import PHOTOS_QUEUE, RETRY, app, defer_once, will_retry
from gallery.memory import release_freed_memory
from gallery.models import Photo, PhotoState, rendition_key
from gallery.storage import ConcurrentSaves, StorageUnavailable, delete_object, storage_errors

logger = logging.getLogger(__name__)

PROCESS_PHOTO_TASK = "gallery.process_photo"
PHOTO_STEPS = []


def photo_step(step):
    """Register step(photo, image) -> names of the fields it set, to run for every photo in registration order."""
    PHOTO_STEPS.append(step)
    return step


class OriginalMissing(Exception):
    """The photo's original is not in the bucket."""


class ProcessingInterrupted(Exception):
    """The job was started more times than its retries allow: each time its worker died (killed, out of memory)."""


@photo_step
def make_renditions(photo, image):
    """Store every rendition (images.RENDITIONS), each as soon as it is encoded; the same keys every time."""
    with ConcurrentSaves(photo.image.storage) as saves:
        for rendition, content in images.render(image):
            file = ContentFile(content)
            file.content_type = images.RENDITION_CONTENT_TYPE
            saves.save(rendition_key(photo.image.name, rendition), file)
    photo.missing_renditions = []
    return ("missing_renditions",)


@photo_step
def make_placeholder(photo, image):
    """The ThumbHash and average colour the grid paints until the thumbnail arrives."""
    photo.thumbhash, photo.average_colour = images.placeholder(image)
    return ("thumbhash", "average_colour")


def open_original(photo):
    """The photo's original in the bucket, open for reading; raises OriginalMissing when it is not there.

    Call it within storage_errors().
    """
    try:
        return photo.image.storage.open(photo.image.name)
    except FileNotFoundError as error:  # django-storages' answer to S3's 404
        raise OriginalMissing(f"The original {photo.image.name} is not in the bucket.") from error


def process_photo(photo_id):
    """Run every step for one photo from its original in the bucket, then mark it ready. What the job does.

    Raises ValidationError when the original does not decode, OriginalMissing, StorageUnavailable or
    DatabaseError. A photo deleted before or during its processing leaves nothing behind.
    """
    photo = Photo.all_objects.filter(pk=photo_id).first()  # one in the trash too: it may be restored
    if photo is None:
        return
    storage = photo.image.storage
    with storage_errors(), open_original(photo) as original:
        image = images.decode_image(File(original, name=photo.image.name))
        try:
            # The upright size, which a header alone does not always tell (a PNG's EXIF after its pixels).
            photo.width, photo.height = image.width, image.height
            fields = {"width", "height"}
            for step in PHOTO_STEPS:
                fields.update(step(photo, image) or ())
        finally:
            # A job's objects refer to one another, so the pixels would wait for Python's cycle collector:
            # tens of megabytes that the worker kept through its next job, when its memory peaks.
            image.pixels.close()
    photo.state, photo.processing_error = PhotoState.READY, ""
    fields.update({"state", "processing_error"})
    if not Photo.all_objects.filter(pk=photo.pk).update(**{field: getattr(photo, field) for field in fields}):
        for name in photo.rendition_keys():  # deleted meanwhile: its delete did not know of these yet
            delete_object(name, storage)


def failure_message(error):
    """What a photo's processing_error says about the error its job failed with for good."""
    if isinstance(error, ValidationError):
        return error.messages[0]
    if isinstance(error, (OriginalMissing, ProcessingInterrupted, StorageUnavailable)):
        return str(error)
    return "The photo could not be processed because of an unexpected error; its details are in the worker's log."


def mark_failed(photo_id, message):
    Photo.all_objects.filter(pk=photo_id).update(state=PhotoState.FAILED, processing_error=message)


@app.task(name=PROCESS_PHOTO_TASK, queue=PHOTOS_QUEUE, retry=RETRY, pass_context=True)
def process_photo_job(context, photo_id):
    """The job of one photo: process_photo, retried on S3 and database failures; the photo is marked failed
    with the reason once no retry is left."""
    run_or_give_up(
        context, lambda: process_photo(photo_id), lambda reason: mark_failed(photo_id, reason), f"photo {photo_id}"
    )


def run_or_give_up(context, work, give_up, subject, doing="Processing"):
    """Run a job's work(); once it has failed for good (Procrastinate will not run it again), give_up(reason) first,
    with failure_message's reason. `subject` names what failed in the log, `doing` the work in a crash loop's reason.
    """
    try:
        if context.job.attempts > RETRY.max_attempts:
            # Only a stalled job, retried by gallery.jobs.maintenance, gets here: stop a crash loop.
            raise ProcessingInterrupted(
                f"{doing} was interrupted {context.job.attempts} times, each time its worker stopped."
            )
        work()
    except Exception as error:
        if not will_retry(context.task, context.job, error):
            logger.warning("%s failed: %s", subject, error)
            give_up(failure_message(error))
        raise
    finally:
        release_freed_memory()


def defer_processing(photo):
    """Queue the photo's processing, in the caller's transaction; False when it is queued already."""
    return defer_once(process_photo_job, f"photo:{photo.pk}", photo_id=photo.pk)


def reprocess(photos):
    """Mark these photos processing and queue their processing again (make_renditions, the admin's retry).

    Returns how many were queued; a photo whose job is waiting already keeps it.
    """
    queued = 0
    for photo in photos:
        with transaction.atomic():
            if photo.state != PhotoState.READY:
                photo.state, photo.processing_error = PhotoState.PROCESSING, ""
                photo.save(update_fields=["state", "processing_error"])
            queued += defer_processing(photo)
    return queued
