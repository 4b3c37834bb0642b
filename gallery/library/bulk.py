"""Actions on many photos at once: every photo named must be one the user may act on, or nothing is done."""

from rest_framework import exceptions

from gallery.models import Photo
from gallery.pagination import MAX_ID


class PhotosRefused(exceptions.APIException):
    """Some of the photos named cannot be changed: the answer lists their ids (as numbers) beside the reason."""

    def __init__(self, message, ids):
        self.detail = {"detail": message, "photo_ids": ids}  # as it is: APIException would make the ids strings


class NoSuchPhotos(PhotosRefused):
    status_code = 404


class NotYourPhotos(PhotosRefused):
    status_code = 403


def allowed_photos(user, ids, may, refusal, photos=None, missing_message="No such photos."):
    """A queryset of the photos `ids` names, from `photos` (default: any, trash included), for each of which
    may(photo, user) holds. Raises NoSuchPhotos naming the ids the user cannot see there (missing, private to
    others, or someone else's in the trash) or NotYourPhotos (with `refusal`) naming those the user sees but
    may not act on; so nothing is half done."""
    photos = Photo.all_objects.all() if photos is None else photos
    ids = sorted(set(ids))
    in_range = [pk for pk in ids if 0 < pk <= MAX_ID]  # a page's form may post any number
    seen = photos.openable_by(user).filter(pk__in=in_range).only("owner", "trashed_at")
    found = {photo.pk: photo for photo in seen}
    if missing := [pk for pk in ids if pk not in found]:
        raise NoSuchPhotos(missing_message, missing)
    if refused := [pk for pk in ids if not may(found[pk], user)]:
        raise NotYourPhotos(refusal, refused)
    return Photo.all_objects.filter(pk__in=ids)


def changeable_photos(user, ids, photos=None, **kwargs):
    """allowed_photos for a change (a star): Photo.can_be_changed_by."""
    refusal = "Only a photo's owner, or staff allowed to change photos, can change it."
    return allowed_photos(user, ids, Photo.can_be_changed_by, refusal, photos, **kwargs)


def deletable_photos(user, ids, photos=None, **kwargs):
    """allowed_photos for moving to the trash, out of it, or deleting forever: Photo.can_be_deleted_by."""
    refusal = "Only a photo's owner, or staff allowed to delete photos, can delete it or take it out of the trash."
    return allowed_photos(user, ids, Photo.can_be_deleted_by, refusal, photos, **kwargs)
