"""Actions on many photos at once: every photo named must be one the user may change, or nothing is done."""

from rest_framework import exceptions

from gallery.models import Photo


class PhotosRefused(exceptions.APIException):
    """Some of the photos named cannot be changed: the answer lists their ids (as numbers) beside the reason."""

    def __init__(self, message, ids):
        self.detail = {"detail": message, "photo_ids": ids}  # as it is: APIException would make the ids strings


class NoSuchPhotos(PhotosRefused):
    status_code = 404


class NotYourPhotos(PhotosRefused):
    status_code = 403


def changeable_photos(user, ids, photos=None, missing_message="No such photos."):
    """A queryset of the photos `ids` names, each of which `user` may change, from `photos` (default: any,
    trash included). Raises NoSuchPhotos naming the ids the user cannot see there (missing, or someone else's in
    the trash) or NotYourPhotos naming those the user sees but may not change; so nothing is half done."""
    photos = Photo.all_objects.all() if photos is None else photos
    ids = sorted(set(ids))
    seen = photos.including_trash_of(user).filter(pk__in=ids).only("owner", "trashed_at")
    found = {photo.pk: photo for photo in seen}
    if missing := [pk for pk in ids if pk not in found]:
        raise NoSuchPhotos(missing_message, missing)
    if refused := [pk for pk in ids if not found[pk].can_be_changed_by(user)]:
        raise NotYourPhotos("Only a photo's owner can change it.", refused)
    return Photo.all_objects.filter(pk__in=ids)
