"""The Photo model and the one path by which an upload becomes a stored photo."""

import dataclasses
import posixpath
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from gallery import images
from gallery.library.describe import camera_name, exposure_summary
from gallery.library.duplicates import DuplicatePhoto, violates_checksum_constraint
from gallery.library.search import search_document
from gallery.library.taken import WallClockDateTimeField, format_offset, taken_at_iso
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
    return f"{posixpath.splitext(original_key)[0]}.{rendition}.{images.RENDITION_EXTENSION}"


@dataclass(frozen=True)
class Rendition:
    """What a page or a client needs to show one rendition of a photo: its URL and its size in pixels."""

    url: str
    width: int
    height: int


def title_from_filename(filename):
    """A readable default title from the client's file name: no extension, no control characters."""
    # Control and format characters (NUL, right-to-left overrides) could disguise a title.
    return images.printable(PurePath(filename or "").stem)[:TITLE_MAX_LENGTH]


class PhotoQuerySet(models.QuerySet):
    def changeable_by(self, user):
        """The photos `user` may edit, trash, restore and delete: see Photo.can_be_changed_by."""
        if user.is_staff:
            return self
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def in_trash(self):
        return self.filter(trashed_at__isnull=False)

    def including_trash_of(self, user):
        """These photos, less those in the trash that `user` may not change (their owner and staff see them)."""
        return self.filter(Q(trashed_at=None) | Q(pk__in=self.changeable_by(user).values("pk")))


class AllPhotosManager(models.Manager.from_queryset(PhotoQuerySet)):
    """Every photo, those in the trash too: for their owners' trash, maintenance and the admin."""

    def get_queryset(self):
        # The search vector is only ever read by PostgreSQL.
        return super().get_queryset().defer("search_vector")


class PhotoManager(AllPhotosManager):
    """The photos not in the trash: every list, search, album and share starts from here (Photo.objects)."""

    def get_queryset(self):
        return super().get_queryset().filter(trashed_at__isnull=True)

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
    original_filename = models.CharField(
        max_length=255, blank=True, editable=False, help_text="The file's name on the uploader's machine."
    )
    checksum = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the bytes as uploaded, in hex; an owner has each at most once.",
    )
    # When and how it was taken, from its EXIF (gallery.images.exif); null where unknown. See gallery.library.taken.
    taken_at = WallClockDateTimeField(
        "date taken", null=True, blank=True, help_text="The camera's wall-clock time, in the time zone it was in."
    )
    taken_at_offset = models.SmallIntegerField(
        "UTC offset", null=True, blank=True, help_text="Minutes east of UTC of the clock taken_at was read from."
    )
    taken_at_corrected = models.BooleanField(
        default=False, editable=False, help_text="Set by the owner: reading the EXIF again never changes it."
    )
    camera_make = models.CharField(max_length=100, null=True, blank=True, editable=False)
    camera_model = models.CharField(max_length=100, null=True, blank=True, editable=False)
    lens = models.CharField(max_length=100, null=True, blank=True, editable=False)
    exposure_time = models.FloatField(null=True, blank=True, editable=False, help_text="Seconds.")
    f_number = models.FloatField(null=True, blank=True, editable=False)
    iso = models.PositiveIntegerField("ISO", null=True, blank=True, editable=False)
    focal_length = models.FloatField(null=True, blank=True, editable=False, help_text="Millimetres.")
    metadata_read = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether the EXIF and checksum have been read (python manage.py extract_metadata for older photos).",
    )
    favorite = models.BooleanField("favourite", default=False)
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What lists are ordered by: the date taken, its wall-clock digits read as UTC (so that a day's photos keep
    # the order their clocks show, with or without an offset: most cameras before 2016 record none), else the
    # upload time.
    sort_at = models.GeneratedField(
        expression=Coalesce(
            Func(Value("UTC"), F("taken_at"), function="timezone", output_field=models.DateTimeField()),
            F("created_at"),
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
    search_vector = models.GeneratedField(
        expression=search_document(), output_field=SearchVectorField(), db_persist=True
    )
    # Only the original's key is stored; the renditions' keys derive from it (rendition_key).
    has_renditions = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether the thumbnail and display size are in the bucket (python manage.py make_renditions).",
    )

    objects = PhotoManager()
    all_objects = AllPhotosManager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-sort_at", "-id"]
        # Each list's page is one range of one of these: by date taken or upload time, one owner's, favourites.
        indexes = [
            models.Index(fields=["-sort_at", "-id"], name="photo_newest_taken", condition=Q(trashed_at=None)),
            models.Index(fields=["-created_at", "-id"], name="photo_newest_first", condition=Q(trashed_at=None)),
            models.Index(
                fields=["owner", "-sort_at", "-id"], name="photo_owner_newest_taken", condition=Q(trashed_at=None)
            ),
            models.Index(
                fields=["owner", "-sort_at", "-id"],
                name="photo_owner_favorites",
                condition=Q(trashed_at=None, favorite=True),
            ),
            models.Index(
                fields=["owner", "-trashed_at", "-id"], name="photo_owner_trash", condition=Q(trashed_at__isnull=False)
            ),
            models.Index(fields=["trashed_at"], name="photo_trash_expiry", condition=Q(trashed_at__isnull=False)),
            GinIndex(fields=["search_vector"], name="photo_search"),
        ]
        constraints = [models.UniqueConstraint(fields=["owner", "checksum"], name="photo_unique_checksum_per_owner")]

    def __str__(self):
        return self.title or f"Photo {self.pk}"

    def get_absolute_url(self):
        return reverse("photo", args=[self.pk])

    def save_upload(self, image):
        """Store a DetectedImage in S3 as this new photo's original, with its renditions, then insert the row.

        The original goes up while the renditions are made, and each of those as soon as it is. Leaves no
        object without a row, nor a row without its objects. Raises DuplicatePhoto, storing nothing, when the
        owner already has these bytes; StorageUnavailable when S3 fails and DatabaseError when the database does.
        """
        self.checksum = image.checksum
        if self.owner_id is not None and (existing := self.existing_duplicate()):
            raise DuplicatePhoto(existing)
        self.original_filename = images.printable(PurePath(image.file.name or "").name)[:255]
        self.set_metadata(image.metadata)
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
        except DatabaseError as error:
            saves.delete_saved()
            if isinstance(error, IntegrityError) and violates_checksum_constraint(error):
                raise DuplicatePhoto(self.existing_duplicate()) from error  # the same bytes, a moment earlier
            raise

    def existing_duplicate(self):
        """The owner's photo (perhaps in the trash) with this photo's checksum, or None."""
        if self.checksum is None:
            return None
        others = Photo.all_objects.select_related("owner").exclude(pk=self.pk)
        return others.filter(owner_id=self.owner_id, checksum=self.checksum).first()

    def set_metadata(self, metadata):
        """Take what a PhotoMetadata says, except a date taken that the owner has corrected."""
        for field in dataclasses.fields(metadata):
            if not (self.taken_at_corrected and field.name.startswith("taken_at")):
                setattr(self, field.name, getattr(metadata, field.name))
        self.metadata_read = True

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

    def can_be_seen_by(self, user):
        """Anyone sees a photo, except one in the trash: only its owner and staff see that."""
        return self.trashed_at is None or self.can_be_changed_by(user)

    @property
    def taken_at_iso(self):
        """The date taken in ISO 8601, with its UTC offset when known; None when unknown."""
        return taken_at_iso(self.taken_at, self.taken_at_offset)

    @property
    def taken_at_offset_label(self):
        return None if self.taken_at_offset is None else format_offset(self.taken_at_offset)

    @property
    def camera(self):
        return camera_name(self.camera_make, self.camera_model)

    @property
    def exposure(self):
        return exposure_summary(self)


@receiver(post_delete, sender=Photo)
def delete_photo_object(sender, instance, **kwargs):
    """However a photo row goes (API, admin bulk delete, a deleted owner), its objects follow after commit."""
    for name in instance.object_keys():
        delete_after_commit(name, instance.image.storage)
