"""The share link model: a random token naming one album or one photo, with its expiry, password and options."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gallery.albums.models import Album
from gallery.models import Photo

# 32 random bytes: 256 bits, 43 URL-safe characters.
TOKEN_BYTES = 32
EXPIRY_DAYS = (1, 7, 30)
DEFAULT_EXPIRY_DAYS = 30


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


class ShareLinkQuerySet(models.QuerySet):
    def managed_by(self, user):
        """The links `user` may see, change and revoke: those to their own albums and photos; staff all."""
        if user.is_staff:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(album__owner=user) | Q(photo__owner=user))

    def alive(self):
        """The links that work: not expired (revoked ones are deleted), and not to a photo in the trash (until it
        is restored)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())).filter(
            Q(photo=None) | Q(photo__trashed_at=None)
        )


class ShareLink(models.Model):
    """A link that shares one album or one photo. Revoking it deletes it: its URLs then 404 at once."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    photo = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    label = models.CharField(max_length=100, blank=True, help_text="Shown only in your list of links.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    # A Django password hash (PBKDF2 by default); empty when the link has no password.
    password = models.CharField(max_length=128, blank=True, editable=False)
    allow_download = models.BooleanField(
        default=False, help_text="Whether the originals may be downloaded; otherwise the display size only."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    views = models.PositiveIntegerField(default=0, editable=False)
    last_viewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(album__isnull=False, photo__isnull=True) | Q(album__isnull=True, photo__isnull=False),
                name="share_link_shares_one_thing",
            )
        ]

    def __str__(self):
        return self.label or f"Link to {self.shared}"

    def get_absolute_url(self):
        return reverse("share", args=[self.token])

    @property
    def shared(self):
        """The album or the photo this link shares."""
        return self.album or self.photo

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def expire_in(self, days):
        """Expire `days` days from now; None: never."""
        self.expires_at = None if days is None else timezone.now() + timedelta(days=days)

    def set_password(self, raw_password):
        """Store a hash of `raw_password` (Django's hashers), or no password when it is empty or None."""
        self.password = make_password(raw_password) if raw_password else ""

    def check_password(self, raw_password):
        return bool(self.password) and check_password(raw_password, self.password)

    @property
    def offers_originals(self):
        """Originals go out only when allowed, and never while they keep their location (GALLERY_KEEP_LOCATION)."""
        return self.allow_download and not settings.GALLERY_KEEP_LOCATION

    def can_be_managed_by(self, user):
        return ShareLink.objects.managed_by(user).filter(pk=self.pk).exists()
