"""The Photo model and the one path by which an upload becomes a stored photo, its renditions left to a job.

What the library adds to a photo (when and how it was taken, its checksum, favourite, trash, sort and search
columns) is gallery.library.fields'.
"""

import unicodedata
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath, PurePosixPath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from gallery import images
from gallery.counters import RateCount  # noqa: F401 - the rate limits' model, registered with the app here
from gallery.library.duplicates import DuplicatePhoto, violates_checksum_constraint
from gallery.library.fields import PhotoLibraryFields
from gallery.storage import delete_after_commit, delete_object, storage_errors
from gallery.visibility import OwnerRule, PhotoQuerySet, Visibility, default_visibility

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


def without_bidi_controls(text):
    """Text without the bidirectional embeddings, overrides and isolates that can make it read as something else."""
    return "".join(ch for ch in text if unicodedata.bidirectional(ch) not in BIDI_CONTROLS)


BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def title_from_filename(filename):
    """A readable default title from the client's file name: no extension, no control characters."""
    # Control and format characters (NUL, right-to-left overrides) could disguise a title.
    return images.printable(PurePath(filename or "").stem)[:TITLE_MAX_LENGTH]


class AllPhotosManager(models.Manager.from_queryset(PhotoQuerySet)):
    """Every photo, those in the trash too: for their owners' trash, the photo page, maintenance and the admin."""

    def get_queryset(self):
        # The search vector is only ever read by PostgreSQL.
        return super().get_queryset().defer("search_vector")


class PhotoManager(AllPhotosManager):
    """The photos not in the trash: every list, search, album, share link and ZIP starts from here (Photo.objects)."""

    def get_queryset(self):
        return super().get_queryset().filter(trashed_at__isnull=True)

    def create_from_upload(self, image, *, uploader, title="", description="", visibility=None):
        """A new photo made from a DetectedImage that `uploader` sent: see Photo.save_upload."""
        photo = self.model(title=title, description=description, visibility=visibility or default_visibility())
        photo.save_upload(image, uploader)
        return photo


class PhotoState(models.TextChoices):
    """Where a photo is in its processing: its renditions are being made, are made, or could not be."""

    PROCESSING = "processing", "processing"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class Photo(OwnerRule, PhotoLibraryFields):
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
    visibility = models.CharField(max_length=10, choices=Visibility, default=default_visibility)
    state = models.CharField(
        max_length=10,
        choices=PhotoState,
        default=PhotoState.PROCESSING,
        editable=False,
        help_text="processing until a job worker has made the thumbnail and display size (gallery.jobs.photos).",
    )
    processing_error = models.TextField(blank=True, editable=False, help_text="Why processing failed, when it did.")
    missing_renditions = ArrayField(
        models.CharField(max_length=20),
        default=list,
        blank=True,
        editable=False,
        help_text="The renditions (gallery.images.RENDITIONS) a ready photo lacks: a size added after it was "
        "processed, until make_renditions remakes it.",
    )
    thumbhash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="The ThumbHash placeholder, in base64; empty until made."
    )
    average_colour = models.CharField(
        max_length=7, blank=True, editable=False, help_text='The ThumbHash\'s average colour, "#rrggbb".'
    )

    objects = PhotoManager()
    all_objects = AllPhotosManager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-sort_at", "-id"]
        indexes = [
            *PhotoLibraryFields.Meta.indexes,
            # The few photos not ready, which make_renditions and the admin's filter look for.
            models.Index(fields=["state"], condition=~Q(state="ready"), name="photo_not_ready"),
        ]
        constraints = PhotoLibraryFields.Meta.constraints

    def __str__(self):
        return self.title or f"Photo {self.pk}"

    def get_absolute_url(self):
        return reverse("photo", args=[self.pk])

    def save(self, *args, **kwargs):
        # Typed titles and descriptions, from the API, the pages or the admin, lose them as file names do.
        self.title, self.description = without_bidi_controls(self.title), without_bidi_controls(self.description)
        super().save(*args, **kwargs)

    def save_upload(self, image, uploader):
        """Store a DetectedImage in S3 as this new photo's original, then insert the row and defer its processing.

        The photo is its uploader's; nobody owns an anonymous upload. The row and its job are inserted in one
        transaction, so neither exists without the other; the renditions are the job's (gallery.jobs.photos).
        Leaves no object without a row. Raises DuplicatePhoto, storing nothing, when the owner already has these
        bytes; StorageUnavailable when S3 fails and DatabaseError when the database does.
        """
        from gallery.jobs.photos import defer_processing  # gallery.jobs imports this module

        self.owner = uploader if uploader.is_authenticated else None
        self.checksum = image.checksum
        if self.owner_id is not None and (existing := self.existing_duplicate()):
            raise DuplicatePhoto(existing)
        self.original_filename = images.printable(PurePath(image.file.name or "").name)[:255]
        self.set_metadata(image.metadata)
        self.title = self.title or title_from_filename(image.file.name)
        self.width, self.height = image.width, image.height
        self.size = image.file.size
        self.content_type = image.content_type
        self.state, self.processing_error = PhotoState.PROCESSING, ""
        self.image.name = new_photo_key(image.extension)
        # django-storages prefers a file's own content_type, which for an upload is the client's claim.
        image.file.content_type = image.content_type
        with storage_errors():
            self.image.storage.save(self.image.name, image.file)
        try:
            with transaction.atomic():
                self.save()
                defer_processing(self)
        except DatabaseError as error:
            delete_object(self.image.name, self.image.storage)
            if isinstance(error, IntegrityError) and violates_checksum_constraint(error):
                raise DuplicatePhoto(self.existing_duplicate()) from error  # the same bytes, a moment earlier
            raise

    @property
    def is_ready(self):
        return self.state == PhotoState.READY

    @cached_property
    def original_url(self):
        """The original's pre-signed URL."""
        return self.image.url

    @cached_property
    def renditions(self):
        """{name: Rendition} of the renditions made (the thumbnail, the grid and the display size, less any
        missing_renditions); empty until the photo is ready."""
        if not self.is_ready:
            return {}
        storage = self.image.storage
        return {
            name: Rendition(
                storage.url(rendition_key(self.image.name, name)),
                *images.fit_within((self.width, self.height), spec.box),
            )
            for name, spec in images.RENDITIONS.items()
            if name not in self.missing_renditions
        }

    @staticmethod
    def can_be_uploaded_by(user):
        """Logged-in users upload; anyone does when GALLERY_ALLOW_ANONYMOUS_UPLOADS is on."""
        return user.is_authenticated or settings.GALLERY_ALLOW_ANONYMOUS_UPLOADS

    def rendition_keys(self):
        """The storage names of this photo's renditions, made or not: only the original's key is stored."""
        return [rendition_key(self.image.name, name) for name in images.RENDITIONS]

    def object_keys(self):
        """The storage names of the objects this photo has now: its original and, once ready, its renditions."""
        return [self.image.name, *(self.rendition_keys() if self.is_ready else ())]

    def owned_keys(self):
        """The storage names of every object this photo may own: its original and its renditions, made or being made."""
        return [self.image.name, *self.rendition_keys()]

    def is_visible_to(self, user):
        """The per-object form of Photo.all_objects.openable_by(user)."""
        return Photo.all_objects.openable_by(user).filter(pk=self.pk).exists()


@receiver(post_delete, sender=Photo)
def delete_photo_object(sender, instance, **kwargs):
    """However a photo row goes (the trash's purge, admin bulk delete, a deleted owner), its objects follow after
    commit.

    Renditions are deleted whatever the state: a job may have stored some before it failed.
    """
    for name in instance.owned_keys():
        delete_after_commit(name, instance.image.storage)


# The album, share-link and upload-session models live in their own packages; imported here, they join the app.
from gallery.albums.models import Album, AlbumMember, AlbumPhoto  # noqa: E402, F401
from gallery.direct_uploads.models import UploadSession  # noqa: E402, F401
from gallery.shares.models import ShareLink  # noqa: E402, F401
