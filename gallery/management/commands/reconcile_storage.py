"""reconcile_storage: find S3 objects under photos/ that no photo owns, and photos missing an object they must have;
and direct uploads' objects under incoming/ that no live upload session owns."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gallery.direct_uploads import reconcile as incoming
from gallery.models import KEY_PREFIX, Photo
from gallery.storage import StorageUnavailable, storage_errors

# An upload stores its object a moment before its row (gunicorn gives a request 120 s at most),
# so an orphan younger than this may be an upload in flight.
DEFAULT_MIN_AGE = 3600
# The most keys one DeleteObjects request takes.
DELETE_BATCH = 1000


class Command(BaseCommand):
    help = (
        "Compare the objects under photos/ in the bucket with the photos in the database: report orphaned "
        "objects (no photo owns them) and photos whose object is missing. A dry run unless --delete is given, "
        "which deletes the orphans older than --min-age; photos are never deleted. Also reports the objects and "
        "multipart uploads under incoming/ that no live upload session owns (--delete removes the old ones). "
        "Exits with status 1 when something needs attention: a photo whose object is missing, or an orphan or "
        "a stray upload older than --min-age left."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete",
            action="store_true",
            help="delete the orphaned objects older than --min-age (default: only report)",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=DEFAULT_MIN_AGE,
            metavar="SECONDS",
            help=f"never delete an orphan younger than this: it may be an upload in flight (default {DEFAULT_MIN_AGE})",
        )

    def handle(self, *args, delete, min_age, **options):
        if min_age < 0:
            raise CommandError("--min-age must be 0 or more")
        try:
            self.reconcile(Photo._meta.get_field("image").storage, delete, min_age)
        except StorageUnavailable as error:
            raise CommandError(error.problem) from error

    def reconcile(self, storage, delete, min_age):
        # Rows first, then objects: a photo's objects are stored before its row is, so each one read here
        # is in the listing unless it is really missing (or the photo was deleted meanwhile: checked below).
        # What a photo owns (its renditions, made or being made) is no orphan; what it must have and lacks is missing.
        # Photos in the trash own theirs too (all_objects).
        owners, expected, photos = {}, {}, 0
        for photo in Photo.all_objects.order_by("pk").iterator(chunk_size=2000):
            photos += 1
            owners.update((name, photo.pk) for name in photo.owned_keys())
            expected.update((name, photo.pk) for name in photo.object_keys())

        now = timezone.now()
        listed, orphans = set(), []
        with storage_errors():
            # The bucket's listing, paginated by boto3: a request per 1000 keys rather than a HEAD per object.
            for summary in storage.bucket.objects.filter(Prefix=bucket_key(storage, KEY_PREFIX)):
                name = storage_name(storage, summary.key)
                listed.add(name)
                if name not in owners:
                    age = int((now - summary.last_modified).total_seconds())
                    orphans.append((name, summary.key, summary.size, age))

        missing = {name: pk for name, pk in expected.items() if name not in listed}
        if missing:
            still_there = set(Photo.all_objects.filter(pk__in=missing.values()).values_list("pk", flat=True))
            missing = {name: pk for name, pk in missing.items() if pk in still_there}

        old_keys = [key for _, key, _, age in orphans if age >= min_age]
        failed = self.delete_objects(storage, old_keys) if delete else {}
        for name, key, size, age in orphans:
            if age < min_age:
                outcome = f"kept, younger than {min_age} s"
            elif not delete:
                outcome = "would be deleted by --delete"
            elif key in failed:
                outcome = f"NOT deleted: {failed[key]}"
            else:
                outcome = "deleted"
            self.stdout.write(f"orphan {name} ({size} bytes, {age} s old): {outcome}")
        for name, pk in sorted(missing.items()):
            self.stdout.write(f"missing {name}: photo {pk} refers to it, but the bucket has no such object")

        deleted = len(old_keys) - len(failed) if delete else 0
        # A photo has several objects (its original and renditions), so photos and objects are counted apart.
        missing_count = f"{counted(len(set(missing.values())), 'photo')} missing {counted(len(missing), 'object')}"
        self.stdout.write(
            f"Summary: {counted(len(listed), 'object')} under {KEY_PREFIX}, {counted(photos, 'photo')}; "
            f"{counted(len(orphans), 'orphaned object')} ({len(orphans) - len(old_keys)} younger than {min_age} s), "
            f"{deleted} deleted{'' if delete else ' (dry run)'}; {missing_count}"
        )
        problems = []
        if missing:
            problems.append(missing_count)
        if len(old_keys) > deleted:
            problems.append(f"{counted(len(old_keys) - deleted, 'orphaned object')} older than {min_age} s left")
        # Direct uploads' bytes under incoming/ that no live upload session owns.
        if stray_problem := incoming.report(self.stdout.write, storage, now, delete, min_age):
            problems.append(stray_problem)
        if problems:
            raise CommandError(", ".join(problems), returncode=1)

    def delete_objects(self, storage, keys):
        """Delete objects by key, a batch per request; return {key: S3's error} for any it refused."""
        failed = {}
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            with storage_errors():
                answer = storage.bucket.delete_objects(Delete={"Objects": batch, "Quiet": True})
            for error in answer.get("Errors", []):
                failed[error["Key"]] = error.get("Message") or error.get("Code", "unknown error")
        return failed


def bucket_key(storage, name):
    """The bucket key of a storage name: AWS_LOCATION, when set, prefixes every key."""
    return f"{storage.location}/{name}" if storage.location else name


def storage_name(storage, key):
    """The storage name of a bucket key, as django-storages' S3File derives it."""
    return key[len(storage.location) :].lstrip("/")


def counted(number, noun):
    """The number and the noun, plural unless one: 1 photo, 2 photos."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
