"""What is in an album and who may change it: adding, removing and moving photos, covers and counts.

The API, the pages and the share links all go through these functions, so each rule is written once.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Count, F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gallery.albums.models import Album, AlbumMember, AlbumPhoto
from gallery.models import Photo


def photos_in(album, photos):
    """The photos of `photos` (a Photo queryset, e.g. visible_to(user)) that are in `album`, in the album's order.

    Each carries its position in the album as album_position.
    """
    return (
        photos.filter(album_entries__album=album)
        .annotate(album_position=F("album_entries__position"))
        .order_by("album_position")
    )


def with_cover_and_count(albums, photos):
    """Albums annotated with what a viewer who may see `photos` sees: photo_count and cover_photo_id.

    The cover is the chosen one when the viewer may see it, else the newest photo they may see; one query in all.
    """
    in_album = photos.filter(album_entries__album=OuterRef("pk"))
    count = in_album.order_by().values("album_entries__album").annotate(count=Count("pk")).values("count")
    chosen = in_album.filter(pk=OuterRef("cover_id")).values("pk")
    newest = in_album.order_by("-created_at", "-id").values("pk")[:1]
    return albums.annotate(
        photo_count=Coalesce(Subquery(count), 0), cover_photo_id=Coalesce(Subquery(chosen), Subquery(newest))
    )


def seen_by(albums, user):
    """with_cover_and_count for what `user` may see, and their role in each album as member_role."""
    albums = with_cover_and_count(albums, Photo.objects.visible_to(user))
    if not user.is_authenticated:
        return albums.annotate(member_role=Value(None, output_field=CharField()))
    roles = AlbumMember.objects.filter(album=OuterRef("pk"), user=user).values("role")
    return albums.annotate(member_role=Subquery(roles))


def attach_covers(albums):
    """Set .cover_photo on each of `albums` (annotated by with_cover_and_count) with one query for all the covers."""
    ids = {album.cover_photo_id for album in albums if album.cover_photo_id}
    covers = Photo.objects.in_bulk(ids) if ids else {}
    for album in albums:
        album.cover_photo = covers.get(album.cover_photo_id)
    return albums


def not_addable(photo_ids):
    return ValidationError(
        {"photo_ids": f"No photo you may add has the id {', '.join(map(str, sorted(photo_ids)))}."}, code="invalid"
    )


@transaction.atomic
def add_photos(album, photo_ids, user):
    """Append the photos to the album, in the order given; those already in it stay where they are.

    The owner, staff and contributors add; each adds only photos they may change (their own, or any for staff), so
    that nobody can put someone else's photo in front of an album's audience. All or nothing: ValidationError
    names the ids that may not be added, whether they do not exist, cannot be seen or are someone else's.
    Returns the number of photos added.
    """
    if not album.can_take_photos_from(user):
        raise PermissionDenied("Only the album's owner and contributors add photos to it.")
    photo_ids = list(dict.fromkeys(photo_ids))
    Album.objects.select_for_update().get(pk=album.pk)  # one change of the album's order at a time
    addable = Photo.objects.filter(pk__in=photo_ids)
    if not user.is_staff:
        addable = addable.filter(owner=user)
    found = set(addable.values_list("pk", flat=True))
    if missing := set(photo_ids) - found:
        raise not_addable(missing)
    present = set(album.entries.filter(photo__in=photo_ids).values_list("photo_id", flat=True))
    start = (album.entries.aggregate(last=Max("position"))["last"] or 0) + 1
    new = [pk for pk in photo_ids if pk not in present]
    AlbumPhoto.objects.bulk_create(
        AlbumPhoto(album=album, photo_id=pk, position=start + n, added_by=user if user.is_authenticated else None)
        for n, pk in enumerate(new)
    )
    touch(album)
    return len(new)


@transaction.atomic
def remove_photos(album, photo_ids, user):
    """Take the photos out of the album (never deleting them). The owner and staff remove any; contributors
    their own. ValidationError names the ids that are not in the album as far as `user` may know.
    Returns the number removed."""
    role = album.role_of(user)
    if role not in ("owner", "contributor"):
        raise PermissionDenied("Only the album's owner and contributors remove photos from it.")
    photo_ids = set(photo_ids)
    entries = album.entries.filter(photo__in=photo_ids)
    if role != "owner":
        entries = entries.filter(photo__owner=user)
    found = set(entries.values_list("photo_id", flat=True))
    if missing := photo_ids - found:
        raise ValidationError(
            {"photo_ids": f"No photo you may remove from this album has the id {', '.join(map(str, sorted(missing)))}."}
        )
    entries.delete()
    if album.cover_id in found:
        album.cover = None
    save_order(album, list(album.entries.order_by("position").values_list("photo_id", flat=True)))
    touch(album)
    return len(found)


@transaction.atomic
def move_photo(album, photo_id, target_id, user):
    """Put a photo in the place of another of the album (dropping one tile on another); those between shift by one.

    Owner and staff only.
    """
    if not album.can_be_changed_by(user):
        raise PermissionDenied("Only the album's owner arranges it.")
    Album.objects.select_for_update().get(pk=album.pk)
    order = list(album.entries.order_by("position").values_list("photo_id", flat=True))
    if photo_id not in order or target_id not in order:
        raise ValidationError({"move": "Both photos must be in this album."})
    place = order.index(target_id)
    order.remove(photo_id)
    order.insert(place, photo_id)
    save_order(album, order)
    touch(album)


def save_order(album, photo_ids):
    """Number the album's photos 1, 2, 3... in this order, writing only the positions that change."""
    entries = {entry.photo_id: entry for entry in album.entries.only("pk", "photo_id", "position")}
    changed = []
    for number, pk in enumerate(photo_ids, start=1):
        if entries[pk].position != number:
            entries[pk].position = number
            changed.append(entries[pk])
    AlbumPhoto.objects.bulk_update(changed, ["position"], batch_size=1000)


def set_cover(album, photo_id, user):
    """Make one of the album's photos its cover (None: the newest again). Owner and staff only."""
    if not album.can_be_changed_by(user):
        raise PermissionDenied("Only the album's owner chooses its cover.")
    if photo_id is not None and not album.entries.filter(photo_id=photo_id).exists():
        raise ValidationError({"cover": "The cover must be one of the album's photos."})
    album.cover_id = photo_id
    touch(album)


def touch(album):
    """Record that the album changed (its photos, order or cover): updated_at, and the cover."""
    album.updated_at = timezone.now()
    Album.objects.filter(pk=album.pk).update(updated_at=album.updated_at, cover=album.cover_id)
