"""make_renditions: queue the processing of the photos that lack renditions, such as older uploads."""

from django.db.models import Q

from gallery.jobs.photos import PROCESS_PHOTO_TASK, reprocess
from gallery.management.queueing import QueueingCommand
from gallery.models import Photo, PhotoState


class Command(QueueingCommand):
    help = (
        "Queue a job for each photo whose renditions (thumbnail, grid and display size) or placeholder are not all "
        "made, failed ones and those processed before a size or the placeholder was added included, or for every "
        "photo with --all, those in the trash too; the job workers (python manage.py procrastinate worker) make "
        "them from the originals in the bucket. A photo queued already is not queued twice, so the command can be "
        "run again at any time. With --wait it follows the queue with a progress bar until it is empty, lists the "
        "photos that failed, and exits with status 1 if any did."
    )

    all_help = "remake the renditions of every photo, not only of those that lack some"
    doing = "make their renditions"

    task_name = PROCESS_PHOTO_TASK

    def needing_jobs(self, photos):
        return photos.filter(~Q(state=PhotoState.READY) | ~Q(missing_renditions=[]) | Q(thumbhash=""))

    def queue(self, photos, ids):
        return reprocess(photos.iterator(chunk_size=500))

    def report(self, ids, newest_job):
        failed = Photo.all_objects.filter(pk__in=ids, state=PhotoState.FAILED).order_by("pk")
        for photo in failed:
            self.stderr.write(f"photo {photo.pk}: {photo.processing_error}")
        ready = Photo.all_objects.filter(pk__in=ids, state=PhotoState.READY).count()
        self.stdout.write(f"Summary: {ready} of {len(ids)} photos ready; {len(failed)} failed.")
        return len(failed)
