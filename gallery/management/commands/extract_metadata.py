"""extract_metadata: queue the reading of the EXIF metadata and checksum of photos stored before they were read
at upload."""

from procrastinate.contrib.django.models import ProcrastinateJob

from gallery.jobs.library import EXTRACT_METADATA_TASK, defer_extract_metadata
from gallery.management.queueing import QueueingCommand
from gallery.models import Photo


class Command(QueueingCommand):
    help = (
        "Queue a job for each photo whose date taken, camera, lens, exposure and checksum were never read (photos "
        "stored before they were read at upload), or for every photo with --all; the job workers (python manage.py "
        "procrastinate worker) read them from the EXIF of the originals in the bucket. A date taken that its owner "
        "corrected is never changed. A photo queued already is not queued twice, so the command can be run again "
        "at any time. With --wait it follows the queue with a progress bar until it is empty, lists the photos "
        "whose original is missing or could not be read, and exits with status 1 if there are any."
    )

    all_help = "read every photo's metadata again, not only of those never read"
    doing = "read their metadata"

    task_name = EXTRACT_METADATA_TASK
    failure = "could not be read"

    def needing_jobs(self, photos):
        return photos.filter(metadata_read=False)

    def queue(self, photos, ids):
        return defer_extract_metadata(ids)

    def report(self, ids, newest_job):
        failed = self.failed_since(newest_job)
        for photo in Photo.all_objects.filter(pk__in=failed).order_by("pk"):
            if photo.image.storage.exists(photo.image.name):
                self.stderr.write(f"photo {photo.pk}: its metadata could not be read; the job worker's log says why")
            else:
                self.stderr.write(f"photo {photo.pk}: its original {photo.image.name} is not in the bucket")
        duplicates = Photo.all_objects.filter(pk__in=ids, metadata_read=True, checksum=None).order_by("pk")
        for photo_id in duplicates.values_list("pk", flat=True):
            self.stdout.write(f"photo {photo_id}: its owner has another photo of the same bytes; no checksum kept")
        self.stdout.write(
            f"Summary: {len(ids) - len(failed)} of {len(ids)} photos read, {duplicates.count()} duplicates, "
            f"{len(failed)} failed."
        )
        return len(failed)

    @staticmethod
    def failed_since(first_job):
        """The ids of the photos whose metadata job queued after job `first_job` failed, and none since succeeded."""
        jobs = ProcrastinateJob.objects.filter(task_name=EXTRACT_METADATA_TASK, id__gt=first_job).order_by("id")
        last = {job["args"]["photo_id"]: job["status"] for job in jobs.values("args", "status")}
        return {photo_id for photo_id, status in last.items() if status == "failed"}
