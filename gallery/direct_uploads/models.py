"""The upload session: one file on its way from a client to the bucket, under incoming/, until a job has verified
it and made it a photo, or refused it."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from gallery.direct_uploads import s3
from gallery.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from gallery.visibility import OwnerRule, Visibility

# Every object and multipart upload of a session is under this prefix, which no URL the site hands out reads.
INCOMING_PREFIX = "incoming/"


def new_incoming_key():
    """A fresh key for an upload's bytes: incoming/<uuid4 hex>. No client text goes into it."""
    return f"{INCOMING_PREFIX}{uuid.uuid4().hex}"


def default_expiry():
    return timezone.now() + timedelta(hours=settings.GALLERY_DIRECT_UPLOAD_HOURS)


class UploadState(models.TextChoices):
    """uploading until the client completes it, verifying while its job checks it, then one of the others."""

    UPLOADING = "uploading", "uploading"
    VERIFYING = "verifying", "verifying"
    DONE = "done", "done"
    REJECTED = "rejected", "rejected"
    ABORTED = "aborted", "aborted"
    EXPIRED = "expired", "expired"


# The states whose session may still have bytes under incoming/.
LIVE_STATES = (UploadState.UPLOADING, UploadState.VERIFYING)


class UploadSessionQuerySet(models.QuerySet):
    def seen_by(self, user):
        """The sessions `user` may see: their own, or all with the gallery.view_uploadsession permission."""
        if user.has_perm(UploadSession.permission("view")):
            return self.all()
        return self.filter(owner=user) if user.is_authenticated else self.none()


class UploadSession(OwnerRule, models.Model):
    """A direct upload: where its bytes go (key, and the S3 multipart upload unless it is one POST), what the client
    declared (file name, size, type: kept, never trusted), what the photo is to be called, and how it ended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions")
    key = models.CharField(max_length=100, unique=True, default=new_incoming_key, editable=False)
    multipart_upload_id = models.CharField(
        max_length=1024, blank=True, help_text="S3's UploadId; empty for an upload sent in one pre-signed POST."
    )
    filename = models.CharField(max_length=255, help_text="The client's file name: the photo's default title.")
    declared_type = models.CharField(max_length=100, blank=True, help_text="The client's claim; never used.")
    size = models.PositiveBigIntegerField(help_text="Declared size in bytes; the object must have exactly this.")
    part_size = models.PositiveBigIntegerField(help_text="Size of every part but the last (of the file, if one POST).")
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility, blank=True, help_text="Empty: the default.")
    state = models.CharField(max_length=10, choices=UploadState, default=UploadState.UPLOADING)
    error = models.TextField(blank=True, help_text="Why the upload was rejected, when it was.")
    photo = models.ForeignKey("gallery.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    duplicate = models.BooleanField(
        default=False, help_text="Done as the photo its owner had of these exact bytes: nothing new was stored."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=default_expiry)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it left the live states.")

    objects = UploadSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The periodic cleanup's search for abandoned uploads.
            models.Index(fields=["expires_at"], condition=models.Q(state="uploading"), name="upload_abandoned"),
        ]

    def __str__(self):
        return f"{self.filename} ({self.state})"

    @property
    def is_live(self):
        return self.state in LIVE_STATES

    @property
    def is_multipart(self):
        return bool(self.multipart_upload_id)

    def end(self, state, error=""):
        """Set the session's final state (and the reason for a rejection), unsaved."""
        self.state, self.error, self.ended_at = state, error, timezone.now()


@receiver(post_delete, sender=UploadSession)
def delete_incoming_bytes(sender, instance, **kwargs):
    """A live session deleted with its owner takes its bytes with it, after commit."""
    if instance.is_live:
        s3.discard_after_commit(instance.key, instance.multipart_upload_id)
