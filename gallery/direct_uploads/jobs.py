"""The jobs of direct uploads: the verification that makes a completed upload a photo, and the periodic cleanup of
abandoned ones. gallery.jobs imports this module, so the workers know both tasks."""

import logging
import tempfile

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from gallery import images
from gallery.direct_uploads import s3, sessions
from gallery.direct_uploads.models import UploadSession, UploadState
from gallery.jobs.photos import run_or_give_up
from gallery.jobs.queue import PHOTOS_QUEUE, RETRY, app, periodic
from gallery.library.duplicates import DuplicatePhoto
from gallery.serializers import PhotoUploadSerializer
from gallery.storage import delete_object

logger = logging.getLogger(__name__)

VERIFY_UPLOAD_TASK = "gallery.verify_upload"
# Ended sessions are kept this long, so that a client coming back finds out how its upload ended.
KEEP_ENDED_SESSIONS_HOURS = 7 * 24


@app.task(name=VERIFY_UPLOAD_TASK, queue=PHOTOS_QUEUE, retry=RETRY, pass_context=True)
def verify_upload_job(context, session_id):
    """The job of one completed upload: verify_upload, retried on S3 and database failures; the session is
    rejected with the reason once no retry is left."""
    run_or_give_up(
        context,
        lambda: verify_upload(session_id),
        lambda reason: reject(session_id, reason),
        f"upload {session_id}",
        doing="Verification",
    )


def defer_verification(session):
    """Queue the verification of a session that is now verifying, in the caller's transaction."""
    verify_upload_job.configure(lock=f"upload:{session.pk}").defer(session_id=str(session.pk))


def verify_upload(session_id):
    """Read a verifying session's object whole into a spool file, check and decode it within the decode budget,
    then make it a photo through the API's own upload path (PhotoUploadSerializer: location stripped, stored
    under photos/, the row inserted with its rendition job) and delete the incoming object; or reject it, its
    bytes deleted, with the same message as POST /api/photos. Raises StorageUnavailable or DatabaseError."""
    session = UploadSession.objects.filter(pk=session_id, state=UploadState.VERIFYING).first()
    if session is None:
        return
    with tempfile.TemporaryFile() as spool:
        file = File(spool, name=session.filename)
        file.size = s3.download(session.key, spool)
        try:
            if file.size != session.size:
                raise ValidationError(f"The file has {file.size} bytes, not the {session.size} declared.")
            # The pixels are decoded once here, so that a photo exists only for bytes that decode.
            images.decode_image(file).pixels.close()
            fields = {name: getattr(session, name) for name in ("title", "description", "visibility")}
            upload = PhotoUploadSerializer(data={"photo": file, **{k: v for k, v in fields.items() if v}})
            if not upload.is_valid():
                raise ValidationError(first_error(upload.errors))
        except ValidationError as error:
            reject(session_id, error.messages[0])
            return
        make_photo(session_id, upload)


def make_photo(session_id, upload):
    """Save the validated upload as the session's photo, and the session done, in one transaction. When its owner
    had these bytes already, the session is done as that photo, as POST /api/photos answers it (duplicate)."""
    photo = None
    try:
        with transaction.atomic():
            session = UploadSession.objects.select_for_update().filter(pk=session_id).first()
            if session is None or session.state != UploadState.VERIFYING:
                return  # its owner was deleted meanwhile
            try:
                photo = upload.save(uploader=session.owner)
            except DuplicatePhoto as duplicate:
                session.photo, session.duplicate = duplicate.photo, True
            else:
                session.photo = photo
            session.end(UploadState.DONE)
            session.save()
            s3.discard_after_commit(session.key)
    except BaseException:
        if photo is not None:  # stored, but its row rolled back
            delete_object(photo.image.name)
        raise


def reject(session_id, message):
    """Reject a session still verifying, saying why; its bytes are deleted once this commits."""
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().filter(pk=session_id).first()
        if session is not None and session.state == UploadState.VERIFYING:
            sessions.finish(session, UploadState.REJECTED, message)


def first_error(errors):
    """The first message of a serializer's errors ({field: [message, ...]})."""
    messages = next(iter(errors.values()))
    return str(messages[0] if isinstance(messages, list) else messages)


@periodic("*/10 * * * *")
def clean_up_uploads(timestamp):
    """Every 10 minutes: expire the sessions still uploading past their expiry (aborting their multipart uploads,
    deleting their objects), and delete the rows of sessions that ended more than KEEP_ENDED_SESSIONS_HOURS ago."""
    expired = sessions.expire_abandoned()
    removed = sessions.remove_ended(KEEP_ENDED_SESSIONS_HOURS * 3600)
    if expired or removed:
        logger.info("upload sessions: %s expired, %s old ones removed", expired, removed)
