"""Who may see what: the one visibility rule that every list, page and endpoint applies to photos and albums.

A photo or an album is public (everyone sees it, as before) or private (its owner, staff and the members of an
album holding it see it). What someone may not see answers 404, so that its existence does not leak.
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


class AlbumQuerySet(VisibleQuerySet):
    def seen_by(self, user):
        """Public albums, and for a logged-in user their own and those they are a member of."""
        rule = Q(visibility=Visibility.PUBLIC)
        if user.is_authenticated:
            members = apps.get_model("gallery", "AlbumMember").objects.filter(album=OuterRef("pk"), user=user)
            rule |= Q(owner=user) | Exists(members)
        return rule
