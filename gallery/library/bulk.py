"""Actions on many photos at once: every photo named must be one the user may change, or nothing is done."""

from rest_framework.exceptions import NotFound, PermissionDenied

from gallery.models import Photo


def changeable_photos(user, ids, photos=None, missing_message="No such photos."):
    """A queryset of the photos `ids` names, each of which `user` may change, from `photos` (default: any,
    trash included). Raises NotFound naming the ids the user cannot see there (missing, or someone else's in
    the trash) or PermissionDenied naming those the user sees but may not change; so nothing is half done."""
    photos = Photo.all_objects.all() if photos is None else photos
    ids = sorted(set(ids))
    seen = photos.including_trash_of(user).filter(pk__in=ids).only("owner", "trashed_at")
    found = {photo.pk: photo for photo in seen}
    if missing := [pk for pk in ids if pk not in found]:
        raise NotFound({"detail": missing_message, "photo_ids": missing})
    if refused := [pk for pk in ids if not found[pk].can_be_changed_by(user)]:
        raise PermissionDenied({"detail": "Only a photo's owner can change it.", "photo_ids": refused})
    return Photo.all_objects.filter(pk__in=ids)
