"""The trash: deleting a photo moves it there, out of every list, with its objects kept, until it is restored or
deleted forever, by its owner or once it has been there GALLERY_TRASH_DAYS (0: no trash, deletes are final).

A photo deleted forever loses its row first; gallery.models' post_delete handler removes its S3 objects once
that deletion commits (gallery.storage.delete_after_commit), so a rolled-back purge keeps them.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gallery.models import Photo

# Photos deleted forever per transaction by purge_expired, so that one run never holds a long transaction.
PURGE_BATCH = 500


def trash_enabled():
    return settings.GALLERY_TRASH_DAYS > 0


def move_to_trash(photos):
    """Move a queryset's photos to the trash (deleted forever when the trash is off); returns their ids."""
    ids = list(photos.values_list("pk", flat=True))
    if not trash_enabled():
        return purge(Photo.all_objects.filter(pk__in=ids))
    Photo.all_objects.filter(pk__in=ids, trashed_at=None).update(trashed_at=timezone.now())
    return ids


def restore(photos):
    """Take a queryset's photos out of the trash; returns their ids."""
    ids = list(photos.values_list("pk", flat=True))
    Photo.all_objects.filter(pk__in=ids).update(trashed_at=None)
    return ids


@transaction.atomic
def purge(photos):
    """Delete a queryset's photos forever, their objects after the deletion commits; returns their ids."""
    ids = list(photos.values_list("pk", flat=True))
    Photo.all_objects.filter(pk__in=ids).delete()
    return ids


def purge_due(now=None):
    """The photos that have been in the trash longer than GALLERY_TRASH_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.GALLERY_TRASH_DAYS)
    return Photo.all_objects.filter(trashed_at__lt=cutoff)


def purge_expired(now=None):
    """Delete forever what has been in the trash longer than GALLERY_TRASH_DAYS, a batch per transaction;
    returns how many. The periodic job's work. With the trash turned off, whatever is still in it goes."""
    purged = 0
    while batch := list(purge_due(now).order_by("trashed_at", "pk").values_list("pk", flat=True)[:PURGE_BATCH]):
        purged += len(purge(Photo.all_objects.filter(pk__in=batch)))
    return purged


def purge_date(photo):
    """When a photo in the trash will be deleted forever."""
    return photo.trashed_at + timedelta(days=settings.GALLERY_TRASH_DAYS)
