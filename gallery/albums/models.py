"""The album models: an album, its photos in order (a through model), and its members with their roles."""

from django.conf import settings
from django.db import models
from django.db.models import Deferrable
from django.urls import reverse

from gallery.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Photo
from gallery.visibility import AlbumQuerySet, Visibility, default_visibility


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer: sees the album and its private photos"
    CONTRIBUTOR = "contributor", "Contributor: also adds and removes their own photos"


class Album(models.Model):
    """A titled, ordered group of photos. Deleting it never deletes its photos."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility, default=default_visibility)
    # None: the newest photo is the cover (gallery.albums.listing).
    cover = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    photos = models.ManyToManyField(Photo, through="AlbumPhoto", related_name="albums")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="AlbumMember", related_name="member_of")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlbumQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("album", args=[self.pk])

    def role_of(self, user):
        """'owner', 'contributor', 'viewer' or None: what `user` is to this album (staff count as owners)."""
        if user.is_staff or (user.is_authenticated and user.pk == self.owner_id):
            return "owner"
        if not user.is_authenticated:
            return None
        if hasattr(self, "member_role"):  # annotated by gallery.albums.contents.seen_by
            return self.member_role
        return self.memberships.filter(user=user).values_list("role", flat=True).first()

    def can_be_changed_by(self, user):
        """Only the owner and staff edit the album itself, its order, cover and members, and delete it."""
        return user.is_staff or (user.is_authenticated and user.pk == self.owner_id)

    def can_take_photos_from(self, user):
        """Whether `user` may add (their own) photos to this album: the owner, staff and contributors."""
        return self.role_of(user) in ("owner", Role.CONTRIBUTOR)


class AlbumPhoto(models.Model):
    """A photo's place in an album: its position (unique in the album) and when it was added."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="entries")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="album_entries")
    position = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["album", "position"]
        constraints = [
            models.UniqueConstraint(fields=["album", "photo"], name="album_photo_once"),
            # Deferred: moving a photo shifts the positions of its neighbours in one UPDATE.
            models.UniqueConstraint(
                fields=["album", "position"], name="album_position_unique", deferrable=Deferrable.DEFERRED
            ),
        ]


class AlbumMember(models.Model):
    """A user the owner let into an album, as a viewer or a contributor."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="album_memberships")
    role = models.CharField(max_length=12, choices=Role, default=Role.VIEWER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["album", "user__username"]
        constraints = [models.UniqueConstraint(fields=["album", "user"], name="album_member_once")]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.album}"
