"""What the commands that queue a job per photo share (make_renditions, extract_metadata): the one handle() that
lists the photos, queues their jobs, and with --wait follows them with a progress bar, then reports."""

from django.core.management.base import BaseCommand, CommandError
from procrastinate.contrib.django.models import ProcrastinateJob

from gallery.jobs.queue import follow_jobs
from gallery.models import Photo


class QueueingCommand(BaseCommand):
    """A command that queues a job per photo, those in the trash too. A subclass says which photos a run without
    --all queues (needing_jobs), how it queues them (queue), what its task is called (task_name), what the
    workers do (doing) and what a failed job means (failure), and reports what the jobs did (report)."""

    all_help = ""
    doing = ""
    task_name = ""
    failure = "failed"  # the end of the error's message: "3 photos failed"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help=self.all_help)
        parser.add_argument(
            "--wait",
            action="store_true",
            help="show a progress bar until the workers have emptied the queue, then report",
        )

    def handle(self, *args, all, wait, **options):
        photos = Photo.all_objects.order_by("pk")
        if not all:
            photos = self.needing_jobs(photos)
        ids = list(photos.values_list("pk", flat=True))
        # The jobs queued from here on are this run's (or a later one's): report() may look at their outcomes.
        newest_job = ProcrastinateJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
        queued = self.queue(photos, ids)
        self.stdout.write(f"Queued {queued} photos ({len(ids) - queued} were queued already).")
        if not wait:
            self.stdout.write(f"The job workers {self.doing}; --wait follows them.")
            return
        follow_jobs(self.task_name)
        if failed := self.report(ids, newest_job):
            raise CommandError(f"{failed} photos {self.failure}", returncode=1)

    def needing_jobs(self, photos):
        """The photos among `photos` that a run without --all queues."""
        raise NotImplementedError

    def queue(self, photos, ids):
        """Queue the jobs of `photos` (whose ids are `ids`); how many were queued (the others waited already)."""
        raise NotImplementedError

    def report(self, ids, newest_job):
        """Once the queue is empty: write what the jobs of `ids` did (those after job `newest_job` are this run's);
        how many failed."""
        raise NotImplementedError
