"""The rules of direct uploads, which the API calls: start a session, sign its parts, say what S3 holds, complete
(the quick checks, then the verification job), abort and expire. Each change of state locks the session's row."""

import io
import math
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone

from gallery import images
from gallery.direct_uploads import s3
from gallery.direct_uploads.models import UploadSession, UploadState
from gallery.failures import Conflict
from gallery.uploads import UploadRejected, UploadTooLarge

MB = 1024 * 1024
# S3 wants parts of 5 MB at least (but the last), and at most 10000 of them; a part in flight is a browser's
# unit of retry, so not much larger than this.
MIN_PART_SIZE = 8 * MB
MAX_PARTS = 10000
# Part URLs handed out with a new session; the client asks for the others as it needs them.
FIRST_PARTS = 4
# Most part URLs one request may ask for.
MAX_PARTS_PER_REQUEST = 100
# How long a pre-signed POST or part URL is valid: long enough for a slow phone to send one part.
URL_SECONDS = 15 * 60
# The bytes the quick check reads at completion: every accepted format's header, with room for JPEG's
# metadata segments (EXIF, ICC profiles, XMP: 64 KB each) before its frame header.
HEADER_BYTES = 1 * MB


def max_direct_upload_bytes():
    return settings.GALLERY_MAX_DIRECT_UPLOAD_MB * MB


def size_error(size):
    """The message refusing a declared size, as POST /api/photos words it, or None when it is allowed."""
    if size <= 0:
        return "The submitted file is empty."
    if size > max_direct_upload_bytes():
        return str(UploadTooLarge(max_direct_upload_bytes()))
    return None


def part_size_for(size):
    """The part size of a file of `size` bytes: MIN_PART_SIZE, or the whole megabytes that fit it in MAX_PARTS."""
    return max(MIN_PART_SIZE, math.ceil(size / MAX_PARTS / MB) * MB)


def part_count(session):
    return math.ceil(session.size / session.part_size)


def part_length(session, number):
    """The exact size of part `number` (from 1): part_size, but the last holds what is left."""
    return min(session.part_size, session.size - (number - 1) * session.part_size)


def start(owner, *, filename, size, declared_type="", title="", description="", visibility=""):
    """A new session and what the client needs to send its bytes: (session, post, parts).

    A file of at most one part gets a pre-signed POST (post = {url, fields}, parts = []); a larger one an
    S3 multipart upload (post = None) and the URLs of its first parts. The multipart upload is started
    before the row is inserted, and aborted if the insert fails.
    """
    session = UploadSession(
        owner=owner,
        filename=filename,
        declared_type=declared_type,
        size=size,
        part_size=part_size_for(size),
        title=title,
        description=description,
        visibility=visibility or "",
    )
    if size > session.part_size:
        session.multipart_upload_id = s3.start_multipart(session.key)
    try:
        session.save()
    except DatabaseError:
        s3.discard(session.key, session.multipart_upload_id)
        raise
    if not session.is_multipart:
        return session, s3.post_form(session.key, size, url_seconds(session)), []
    return session, None, sign_parts(session, range(1, min(FIRST_PARTS, part_count(session)) + 1))


def url_seconds(session):
    """How long the session's URLs may be valid: URL_SECONDS, or less near its expiry."""
    return max(1, min(URL_SECONDS, int((session.expires_at - timezone.now()).total_seconds())))


def sign_parts(session, numbers):
    """[{part_number, url}] for these part numbers (from 1 to part_count) of an uploading multipart session.
    Raises Conflict."""
    check_uploading(session)
    if not session.is_multipart:
        raise Conflict("This upload is sent in one POST: it has no parts to sign.")
    expires = url_seconds(session)
    return [
        {
            "part_number": number,
            "url": s3.part_url(session.key, session.multipart_upload_id, number, part_length(session, number), expires),
        }
        for number in sorted(set(numbers))
    ]


def parts_held(session):
    """[{part_number, size}] of the parts S3 holds for an uploading multipart session (ListParts), else []."""
    if session.state != UploadState.UPLOADING or not session.is_multipart:
        return []
    try:
        parts = s3.held_parts(session.key, session.multipart_upload_id)
    except s3.NoSuchUpload:
        return []
    return [{"part_number": part["PartNumber"], "size": part["Size"]} for part in parts]


def check_uploading(session):
    """Raise Conflict unless the session still takes bytes: neither ended nor past its expiry."""
    if session.state != UploadState.UPLOADING:
        raise Conflict(f"This upload is {session.state}.")
    if session.expires_at <= timezone.now():
        raise Conflict("This upload has expired.")


def complete(session_id, changes):
    """Check what the client sent and queue its verification: the session, now verifying (or as it was, if it
    was verifying or done already). `changes` may set title, description and visibility.

    Raises UploadRejected (the session is then rejected and its bytes deleted, once this commits) or Conflict.
    """
    from gallery.direct_uploads.jobs import defer_verification  # the jobs import this module

    rejection = None
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session_id)
        if session.state in (UploadState.VERIFYING, UploadState.DONE):
            return session
        if session.state == UploadState.REJECTED:
            raise UploadRejected(session.error)
        check_uploading(session)
        for field, value in changes.items():
            setattr(session, field, value or "")
        try:
            quick_check(session)
        except UploadRejected as error:
            finish(session, UploadState.REJECTED, str(error))
            rejection = error
        else:
            session.state = UploadState.VERIFYING
            session.save()
            defer_verification(session)
    if rejection is not None:
        raise rejection
    return session


def quick_check(session):
    """Join a multipart upload's parts, then check the object: its size, and its first bytes' format and header
    limits, as an upload's request checks them (the job checks the rest). Raises UploadRejected."""
    if session.is_multipart:
        try:
            parts = s3.held_parts(session.key, session.multipart_upload_id)
        except s3.NoSuchUpload:
            parts = []
        expected = [(number, part_length(session, number)) for number in range(1, part_count(session) + 1)]
        if [(part["PartNumber"], part["Size"]) for part in parts] != expected:
            raise UploadRejected(f"The upload is incomplete: S3 holds {len(parts)} of its {len(expected)} parts.")
        s3.complete_multipart(session.key, session.multipart_upload_id, parts)
    size = s3.object_size(session.key)
    if size is None:
        raise UploadRejected("Nothing was uploaded.")
    if size != session.size:
        raise UploadRejected(f"The file has {size} bytes, not the {session.size} declared.")
    if (problem := size_error(size)) is not None:
        raise UploadRejected(problem)
    head = File(io.BytesIO(s3.first_bytes(session.key, HEADER_BYTES)), name=session.filename)
    try:
        if size <= HEADER_BYTES:
            images.detect_image(head)  # the whole file is here: the upload request's own check
        else:
            images.check_header(head)
    except ValidationError as error:
        raise UploadRejected(error.messages[0]) from None


def finish(session, state, error=""):
    """End the session in `state` (with the reason for a rejection); its bytes are deleted once this commits."""
    session.end(state, error)
    session.save()
    s3.discard_after_commit(session.key, session.multipart_upload_id)


def abort(session_id):
    """Abort an upload on its client's request; an ended one stays as it is. Raises Conflict while it is verified
    or once it is a photo."""
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session_id)
        if session.state in (UploadState.VERIFYING, UploadState.DONE):
            raise Conflict(f"This upload is {session.state}; delete its photo instead.")
        if session.state == UploadState.UPLOADING:
            finish(session, UploadState.ABORTED)


def expire_abandoned(now=None):
    """Expire the sessions still uploading past their expiry, their bytes deleted; how many there were."""
    now = now or timezone.now()
    expired = 0
    for session_id in UploadSession.objects.filter(state=UploadState.UPLOADING, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            session = UploadSession.objects.select_for_update().filter(pk=session_id).first()
            if session is not None and session.state == UploadState.UPLOADING:
                finish(session, UploadState.EXPIRED)
                expired += 1
    return expired


def remove_ended(older_than):
    """Delete the rows of sessions that ended before `older_than` ago (their photos stay)."""
    return UploadSession.objects.filter(ended_at__lt=timezone.now() - timedelta(seconds=older_than)).delete()[0]
