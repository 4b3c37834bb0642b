"""Who may see what: the one visibility rule that every list, page and endpoint applies to photos and albums,
and the one owner rule for who changes and deletes what has an owner (photos, upload sessions).

A photo or an album is public (everyone sees it, as before) or private (its owner, staff and the members of an
album holding it see it). A photo in the trash is out of every list, album and share link (Photo.objects leaves
it out); its page and API detail are seen only by those who may delete it, among those who may see it at all
(Photo.all_objects.openable_by). What someone may not see answers 404, so that its existence does not leak.
"""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: everyone sees it"
    PRIVATE = "private", "Private: only you, the albums' members and your share links"


def default_visibility():
    """What a new photo or album is unless it says otherwise: GALLERY_DEFAULT_VISIBILITY."""
    return settings.GALLERY_DEFAULT_VISIBILITY


def may_browse(user):
    """Whether `user` may read the site at all: everyone on a public site, only logged-in users otherwise."""
    return settings.GALLERY_PUBLIC_SITE or user.is_authenticated


class VisibleQuerySet(models.QuerySet):
    """A queryset that knows who may see its rows: staff all, nobody on a private site unless logged in."""

    def visible_to(self, user):
        if user.is_staff:
            return self.all()
        if not may_browse(user):
            return self.none()
        return self.filter(self.seen_by(user))

    def seen_by(self, user):
        """The rule (a Q) for a user who is not staff."""
        raise NotImplementedError


class PhotoQuerySet(VisibleQuerySet):
    def seen_by(self, user):
        """Public photos, and for a logged-in user their own and those in albums they own or belong to."""
        rule = Q(visibility=Visibility.PUBLIC)
        if user.is_authenticated:
            entries = apps.get_model("gallery", "AlbumPhoto").objects.filter(photo=OuterRef("pk"))
            rule |= (
                Q(owner=user)
                | Exists(entries.filter(album__owner=user))
                | Exists(entries.filter(album__memberships__user=user))
            )
        return rule

    def in_trash(self):
        return self.filter(trashed_at__isnull=False)

    def trash_of(self, user):
        """`user`'s own photos in the trash: their trash page and GET /api/trash."""
        return self.in_trash().filter(owner=user)

    def openable_by(self, user):
        """What `user` may open at its own address (its page, its API detail, the admin, a bulk action): the photos
        they may see, less those in the trash that they may not take out of it (including_trash_of)."""
        return self.visible_to(user).including_trash_of(user)

    def including_trash_of(self, user):
        """These photos less those in the trash, except the ones `user` may take out of it or delete forever
        (Photo.can_be_deleted_by): their owner's, and any for users with the gallery.delete_photo permission."""
        if user.has_perm("gallery.delete_photo"):
            return self.all()
        if user.is_authenticated:
            return self.filter(Q(trashed_at=None) | Q(owner=user))
        return self.filter(trashed_at=None)


class AlbumQuerySet(VisibleQuerySet):
    def seen_by(self, user):
        """Public albums, and for a logged-in user their own and those they are a member of."""
        rule = Q(visibility=Visibility.PUBLIC)
        if user.is_authenticated:
            members = apps.get_model("gallery", "AlbumMember").objects.filter(album=OuterRef("pk"), user=user)
            rule |= Q(owner=user) | Exists(members)
        return rule


class OwnerRule:
    """A model with an `owner`: its owner changes and deletes a row, and so do users holding the model's change and
    delete permissions (the admin's rule, gallery.change_photo say); nobody owns a row without an owner."""

    def is_owned_by(self, user):
        return self.owner_id is not None and self.owner_id == user.pk

    def can_be_changed_by(self, user):
        return self.is_owned_by(user) or user.has_perm(self.permission("change"))

    def can_be_deleted_by(self, user):
        return self.is_owned_by(user) or user.has_perm(self.permission("delete"))

    @classmethod
    def permission(cls, action):
        """The model's permission for `action` (view, change, delete), as User.has_perm names it."""
        return f"{cls._meta.app_label}.{action}_{cls._meta.model_name}"
