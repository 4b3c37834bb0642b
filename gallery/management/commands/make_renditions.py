"""make_renditions: make the thumbnail and display size of the photos that have none, such as older uploads."""

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gallery.images import detect_image
from gallery.models import Photo
from gallery.storage import ConcurrentSaves, StorageUnavailable, open_stored, storage_errors


class Command(BaseCommand):
    help = (
        "Make the missing renditions (thumbnail and display size) of existing photos from their originals in the "
        "bucket, one photo at a time: each photo done is marked in the database, so the command can be stopped "
        "and run again, and once all are done it does nothing. Originals are never changed. Exits with status 1 "
        "when an original is missing or cannot be decoded (those photos are listed and skipped)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="remake the renditions of every photo, not only of those that have none",
        )

    def handle(self, *args, all, **options):
        photos = Photo.all_objects.order_by("pk")
        if not all:
            photos = photos.filter(has_renditions=False)
        failed = []
        try:
            for photo in tqdm(photos.iterator(chunk_size=100), total=photos.count(), unit="photo"):
                try:
                    self.make_renditions(photo)
                except FileNotFoundError:
                    failed.append(f"photo {photo.pk}: its original {photo.image.name} is not in the bucket")
                except ValidationError as error:
                    failed.append(
                        f"photo {photo.pk}: its original {photo.image.name} cannot be used: {error.messages[0]}"
                    )
        except StorageUnavailable as error:
            raise CommandError(f"{error} Photos done so far are kept; run the command again to go on.") from error
        for line in failed:
            self.stderr.write(line)
        done = Photo.all_objects.filter(has_renditions=True).count()
        self.stdout.write(f"Summary: {done} photos have renditions; {len(failed)} could not be made.")
        if failed:
            raise CommandError(f"{len(failed)} photos have no renditions", returncode=1)

    def make_renditions(self, photo):
        """Make and store one photo's renditions from its original, then mark it done."""
        storage = photo.image.storage
        with storage_errors(), open_stored(storage, photo.image.name) as original:
            image = detect_image(File(original, name=photo.image.name))
            with ConcurrentSaves(storage) as saves:
                photo.save_renditions(image, saves)
        # Older rows recorded the size before EXIF's orientation was applied; the renditions are upright.
        photo.width, photo.height = image.width, image.height
        photo.save(update_fields=["has_renditions", "width", "height"])
