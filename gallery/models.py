"""The Photo model and the one path by which an upload becomes a stored photo."""

import unicodedata
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from gallery.storage import StorageUnavailable, delete_after_commit, storage_errors

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
# Every object a photo owns is stored under this prefix; reconcile_storage looks for orphans there.
KEY_PREFIX = "photos/"


def new_photo_key(extension):
    """A fresh object key: photos/<uuid4 hex>.<extension>. No client text ever goes into it."""
    return f"{KEY_PREFIX}{uuid.uuid4().hex}.{extension}"


def title_from_filename(filename):
    """A readable default title from the client's file name: no extension, no control characters."""
    stem = PurePath(filename or "").stem
    # Drop control and format characters (NUL, right-to-left overrides) that could disguise a title.
    visible = "".join(ch for ch in stem if unicodedata.category(ch) not in {"Cc", "Cf"})
    return " ".join(visible.split())[:TITLE_MAX_LENGTH]


class PhotoManager(models.Manager):
    def create_from_upload(self, image, *, title="", description="", owner=None):
        """A new photo made from a DetectedImage: see Photo.save_upload."""
        if owner is not None and not owner.is_authenticated:
            owner = None  # Nobody owns an anonymous upload.
        photo = self.model(title=title, description=description, owner=owner)
        photo.save_upload(image)
        return photo


class Photo(models.Model):
    """A photo: its bytes are an S3 object, this row keeps the object's key and what is known about it."""

    image = models.FileField("original", upload_to="photos/", max_length=255)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField(help_text="Size of the original in bytes.")
    content_type = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )

    objects = PhotoManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="photo_newest_first")]

    def __str__(self):
        return self.title or f"Photo {self.pk}"

    def get_absolute_url(self):
        return reverse("photo", args=[self.pk])

    def save_upload(self, image):
        """Store a DetectedImage in S3 as this new photo's original, then insert the row.

        Leaves no object without a row, nor a row without an object. Raises StorageUnavailable
        when S3 fails and DatabaseError when the database does.
        """
        self.title = self.title or title_from_filename(image.file.name)
        self.width, self.height = image.width, image.height
        self.size = image.file.size
        self.content_type = image.content_type
        storage = self.image.storage
        # django-storages prefers a file's own content_type, which for an upload is the client's claim.
        image.file.content_type = image.content_type
        with storage_errors():
            self.image.name = storage.save(new_photo_key(image.extension), image.file)
        try:
            with transaction.atomic():
                self.save()
        except DatabaseError:
            try:
                with storage_errors():
                    storage.delete(self.image.name)
            except StorageUnavailable:
                pass  # Logged by storage_errors; nothing more can be done for this object now.
            raise

    @staticmethod
    def can_be_uploaded_by(user):
        """Logged-in users upload; anyone does when GALLERY_ALLOW_ANONYMOUS_UPLOADS is on."""
        return user.is_authenticated or settings.GALLERY_ALLOW_ANONYMOUS_UPLOADS

    def object_keys(self):
        """The storage names of every object this photo owns: today its original, later its renditions too."""
        return [self.image.name]

    def can_be_changed_by(self, user):
        """Only its owner and staff may edit or delete a photo; nobody owns an anonymous upload."""
        return user.is_staff or (self.owner_id is not None and self.owner_id == user.pk)


@receiver(post_delete, sender=Photo)
def delete_photo_object(sender, instance, **kwargs):
    """However a photo row goes (API, admin bulk delete, a deleted owner), its objects follow after commit."""
    for name in instance.object_keys():
        delete_after_commit(name, instance.image.storage)
