"""extract_metadata: read the EXIF metadata and checksum of photos stored before they were read at upload."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gallery.library.backfill import Outcome, extract_metadata
from gallery.models import Photo
from gallery.storage import StorageUnavailable


class Command(BaseCommand):
    help = (
        "Read the date taken, camera, lens and exposure from the EXIF of each photo's original in the bucket, and "
        "its checksum, for the photos stored before these were read at upload; one photo at a time, each marked "
        "done, so the command can be stopped and run again. A date taken that its owner corrected is never "
        "changed. Exits with status 1 when an original is missing (those photos are listed and skipped)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="read every photo's metadata again, not only of those never read"
        )

    def handle(self, *args, all, **options):
        photos = Photo.all_objects.order_by("pk")
        if not all:
            photos = photos.filter(metadata_read=False)
        missing, duplicates = [], []
        ids = list(photos.values_list("pk", flat=True))
        try:
            for photo_id in tqdm(ids, unit="photo"):
                try:
                    if extract_metadata(photo_id) == Outcome.DUPLICATE:
                        duplicates.append(photo_id)
                except FileNotFoundError as error:
                    missing.append(f"photo {photo_id}: its original {error} is not in the bucket")
        except StorageUnavailable as error:
            raise CommandError(f"{error} Photos done so far are kept; run the command again to go on.") from error
        for line in missing:
            self.stderr.write(line)
        for photo_id in duplicates:
            self.stdout.write(f"photo {photo_id}: its owner has another photo of the same bytes; no checksum kept")
        self.stdout.write(
            f"Summary: {len(ids) - len(missing)} photos read, {len(duplicates)} duplicates, {len(missing)} missing."
        )
        if missing:
            raise CommandError(f"{len(missing)} photos have no original in the bucket", returncode=1)
