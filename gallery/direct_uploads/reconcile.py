"""What reconcile_storage finds under incoming/: objects and multipart uploads that no live upload session owns
(left by a process killed mid-way, or S3 failing a delete); with --delete, those older than --min-age go."""

from typing import NamedTuple

from gallery.direct_uploads import s3
from gallery.direct_uploads.models import INCOMING_PREFIX, LIVE_STATES, UploadSession
from gallery.storage import StorageUnavailable, storage_errors


class Stray(NamedTuple):
    """An object (upload_id empty) or a multipart upload under incoming/ without a live session."""

    name: str
    upload_id: str
    size: int | None
    age: int


def find_strays(storage, now):
    """(how many objects and multipart uploads are under incoming/, [Stray, ...] of them without a live session)."""
    # Rows first: a session's row exists before its object does, and a multipart upload started before its
    # row was inserted is young, which --min-age keeps.
    live = set(UploadSession.objects.filter(state__in=LIVE_STATES).values_list("key", flat=True))
    prefix = s3.address(INCOMING_PREFIX)["Key"]
    found, strays = 0, []
    with storage_errors():
        for summary in storage.bucket.objects.filter(Prefix=prefix):
            found += 1
            name = summary.key[len(prefix) - len(INCOMING_PREFIX) :]
            if name not in live:
                strays.append(Stray(name, "", summary.size, age(now, summary.last_modified)))
        for upload in storage.bucket.multipart_uploads.filter(Prefix=prefix):
            found += 1
            name = upload.key[len(prefix) - len(INCOMING_PREFIX) :]
            if name not in live:
                strays.append(Stray(name, upload.id, None, age(now, upload.initiated)))
    return found, strays


def age(now, then):
    return int((now - then).total_seconds())


def report(write, storage, now, delete, min_age):
    """Write a line per stray and a summary of incoming/ (when it holds anything); remove the old strays with
    `delete`. Returns the problem to report (old strays left), or None."""
    found, strays = find_strays(storage, now)
    removed = 0
    for stray in strays:
        what = f"{stray.size} bytes" if not stray.upload_id else "multipart upload"
        if stray.age < min_age:
            outcome = f"kept, younger than {min_age} s"
        elif not delete:
            outcome = f"would be {'aborted' if stray.upload_id else 'deleted'} by --delete"
        else:
            try:
                remove(stray)
                outcome, removed = ("aborted" if stray.upload_id else "deleted"), removed + 1
            except StorageUnavailable as error:
                outcome = f"NOT removed: {error.problem}"
        write(f"stray {stray.name} ({what}, {stray.age} s old): no live upload session; {outcome}")
    old = sum(stray.age >= min_age for stray in strays)
    if found:
        write(
            f"Incoming: {found} objects and multipart uploads under {INCOMING_PREFIX}, {len(strays)} without a live "
            f"upload session ({len(strays) - old} younger than {min_age} s), {removed} removed"
            f"{'' if delete else ' (dry run)'}"
        )
    if old > removed:
        return f"{old - removed} stray uploads under {INCOMING_PREFIX} older than {min_age} s left"
    return None


def remove(stray):
    """Abort a stray multipart upload, or delete a stray object. Raises StorageUnavailable."""
    if stray.upload_id:
        s3.abort_multipart(stray.name, stray.upload_id)
    else:
        with storage_errors():
            s3.client().delete_object(**s3.address(stray.name))
