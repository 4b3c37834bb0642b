"""Filling in what photos stored before the library existed lack: their EXIF metadata and checksum, read from
their originals in the bucket. extract_metadata(photo_id) does one photo: what its job does
(gallery.jobs.library), queued by `python manage.py extract_metadata`."""

from django.core.files import File
from django.db import IntegrityError, transaction

from gallery.images import metadata_of_file
from gallery.jobs.photos import open_original
from gallery.library.duplicates import checksum_of, violates_checksum_constraint
from gallery.models import Photo
from gallery.storage import storage_errors

TAKEN_FIELDS = ("taken_at", "taken_at_offset")
CAMERA_FIELDS = ("camera_make", "camera_model", "lens", "exposure_time", "f_number", "iso", "focal_length")


class Outcome:
    """What extract_metadata did to one photo."""

    DONE = "done"
    GONE = "gone"  # the photo was deleted meanwhile: nothing to do
    DUPLICATE = "duplicate"  # its owner has another photo of the same bytes: its checksum stays unset


def extract_metadata(photo_id):
    """Read one photo's EXIF (and checksum, if it has none) from its original in the bucket and store them,
    never overwriting a date taken its owner corrected, even one corrected while this ran. Idempotent.

    Raises OriginalMissing when the original is not in the bucket and StorageUnavailable when S3 fails.
    """
    photo = Photo.all_objects.filter(pk=photo_id).only("image", "checksum").first()
    if photo is None:
        return Outcome.GONE
    with storage_errors(), open_original(photo) as original:
        metadata = metadata_of_file(File(original, name=photo.image.name))
        checksum = photo.checksum or checksum_of(File(original, name=photo.image.name))
    this = Photo.all_objects.filter(pk=photo_id)
    outcome = Outcome.DONE
    with transaction.atomic():
        this.update(metadata_read=True, **{name: getattr(metadata, name) for name in CAMERA_FIELDS})
        # In the UPDATE's WHERE, so that a correction made since the row was read stands.
        this.filter(taken_at_corrected=False).update(**{name: getattr(metadata, name) for name in TAKEN_FIELDS})
        if photo.checksum is None:
            try:
                with transaction.atomic():
                    this.update(checksum=checksum)
            except IntegrityError as error:
                if not violates_checksum_constraint(error):
                    raise
                outcome = Outcome.DUPLICATE
    return outcome
