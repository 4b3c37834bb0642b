"""The Photo model and the one path by which an upload becomes a stored photo."""

import unicodedata
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath, PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from gallery import images
from gallery.storage import ConcurrentSaves, delete_after_commit, storage_errors

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
# Every object a photo owns is stored under this prefix; reconcile_storage looks for orphans there.
KEY_PREFIX = "photos/"


def new_photo_key(extension):
    """A fresh object key: photos/<uuid4 hex>.<extension>. No client text ever goes into it."""
    return f"{KEY_PREFIX}{uuid.uuid4().hex}.{extension}"


def rendition_key(original_key, rendition):
    """The key of a rendition, derived from its original's: photos/<hex>.jpg -> photos/<hex>.thumbnail.webp."""
    return f"{PurePosixPath(original_key).with_suffix('')}.{rendition}.{images.RENDITION_EXTENSION}"


@dataclass(frozen=True)
class Rendition:
    """What a page or a client needs to show one rendition of a photo: its URL and its size in pixels."""

    url: str
    width: int
    height: int


def title_from_filename(filename):
    """A readable default title from the client's file name: no extension, no control characters."""
    stem = PurePath(filename or "").stem
    # Drop control and format characters (NUL, right-to-left overrides) that could disguise a title.
    visible = "".join(ch for ch in stem if unicodedata.category(ch) not in {"Cc", "Cf"})
    return " ".join(visible.split())[:TITLE_MAX_LENGTH]


class PhotoManager(models.Manager):
    def create_from_upload(self, image, *, uploader, title="", description=""):
        """A new photo made from a DetectedImage that `uploader` sent: see Photo.save_upload."""
        photo = self.model(title=title, description=description)
        photo.save_upload(image, uploader)
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
    # Only the original's key is stored; the renditions' keys derive from it (rendition_key).
    has_renditions = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether the thumbnail and display size are in the bucket (python manage.py make_renditions).",
    )

    objects = PhotoManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="photo_newest_first")]

    def __str__(self):
        return self.title or f"Photo {self.pk}"

    def get_absolute_url(self):
        return reverse("photo", args=[self.pk])

    def save_upload(self, image, uploader):
        """Store a DetectedImage in S3 as this new photo's original, with its renditions, then insert the row.

        The photo is its uploader's; nobody owns an anonymous upload. The original goes up while the renditions
        are made, and each of those as soon as it is. Leaves no object without a row, nor a row without its objects.
        Raises StorageUnavailable when S3 fails and DatabaseError when the database does.
        """
        self.owner = uploader if uploader.is_authenticated else None
        self.title = self.title or title_from_filename(image.file.name)
        self.width, self.height = image.width, image.height
        self.size = image.file.size
        self.content_type = image.content_type
        self.image.name = new_photo_key(image.extension)
        # django-storages prefers a file's own content_type, which for an upload is the client's claim.
        image.file.content_type = image.content_type
        with storage_errors(), ConcurrentSaves(self.image.storage) as saves:
            saves.save(self.image.name, image.file)
            self.save_renditions(image, saves)
        try:
            with transaction.atomic():
                self.save()
        except DatabaseError:
            saves.delete_saved()
            raise

    def save_renditions(self, image, saves):
        """Render a DetectedImage of this photo's original and start saving each rendition with `saves`."""
        for rendition, content in images.render(image):
            file = ContentFile(content)
            file.content_type = images.RENDITION_CONTENT_TYPE
            saves.save(rendition_key(self.image.name, rendition), file)
        self.has_renditions = True

    @cached_property
    def original_url(self):
        """The original's pre-signed URL."""
        return self.image.url

    @cached_property
    def renditions(self):
        """{name: Rendition} of the thumbnail and the display size; the original stands in until they are made."""
        if not self.has_renditions:
            original = Rendition(self.original_url, self.width, self.height)
            return dict.fromkeys(images.RENDITIONS, original)
        storage = self.image.storage
        return {
            name: Rendition(
                storage.url(rendition_key(self.image.name, name)),
                *images.fit_within((self.width, self.height), spec.box),
            )
            for name, spec in images.RENDITIONS.items()
        }

    @staticmethod
    def can_be_uploaded_by(user):
        """Logged-in users upload; anyone does when GALLERY_ALLOW_ANONYMOUS_UPLOADS is on."""
        return user.is_authenticated or settings.GALLERY_ALLOW_ANONYMOUS_UPLOADS

    def object_keys(self):
        """The storage names of every object this photo owns: its original and, once made, its renditions."""
        renditions = images.RENDITIONS if self.has_renditions else ()
        return [self.image.name, *(rendition_key(self.image.name, name) for name in renditions)]

    def can_be_changed_by(self, user):
        """Only its owner and staff may edit or delete a photo; nobody owns an anonymous upload."""
        return user.is_staff or (self.owner_id is not None and self.owner_id == user.pk)


@receiver(post_delete, sender=Photo)
def delete_photo_object(sender, instance, **kwargs):
    """However a photo row goes (API, admin bulk delete, a deleted owner), its objects follow after commit."""
    for name in instance.object_keys():
        delete_after_commit(name, instance.image.storage)
