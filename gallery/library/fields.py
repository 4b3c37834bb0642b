"""What the library knows of a photo, as the columns of gallery.models.Photo: when and how it was taken (from its
EXIF, gallery.images.exif), its checksum, its star, its time in the trash, and the columns lists are sorted and
searched by, with their indexes."""

import dataclasses

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce

from gallery.library.describe import camera_name, exposure_summary
from gallery.library.duplicates import CHECKSUM_CONSTRAINT
from gallery.library.search import search_document
from gallery.library.taken import WallClockDateTimeField, format_offset, taken_at_iso


class PhotoLibraryFields(models.Model):
    """The library's part of a photo; null where unknown. See gallery.library.taken for the date taken."""

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

    class Meta:
        abstract = True
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
        constraints = [models.UniqueConstraint(fields=["owner", "checksum"], name=CHECKSUM_CONSTRAINT)]

    def existing_duplicate(self):
        """The owner's photo (perhaps in the trash) with this photo's checksum, or None."""
        if self.checksum is None:
            return None
        others = type(self).all_objects.select_related("owner").exclude(pk=self.pk)
        return others.filter(owner_id=self.owner_id, checksum=self.checksum).first()

    def set_metadata(self, metadata):
        """Take what a PhotoMetadata says, except a date taken that the owner has corrected."""
        for field in dataclasses.fields(metadata):
            if not (self.taken_at_corrected and field.name.startswith("taken_at")):
                setattr(self, field.name, getattr(metadata, field.name))
        self.metadata_read = True

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
