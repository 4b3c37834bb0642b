"""What the commands that queue a job per photo share (make_renditions, extract_metadata): --all and --wait, and
following the jobs they queued with a progress bar."""

from django.core.management.base import BaseCommand

from gallery.jobs.queue import follow_jobs


class QueueingCommand(BaseCommand):
    """A command that queues a job per photo; a subclass says what --all does (all_help) and what the workers do
    (doing), and calls queued()."""

    all_help = ""
    doing = ""

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help=self.all_help)
        parser.add_argument(
            "--wait",
            action="store_true",
            help="show a progress bar until the workers have emptied the queue, then report",
        )

    def queued(self, ids, queued, task_name, wait):
        """Say how many of `ids` were queued; with --wait, follow the task's jobs until none is left. Whether it
        waited (and so the command reports what the jobs did)."""
        self.stdout.write(f"Queued {queued} photos ({len(ids) - queued} were queued already).")
        if not wait:
            self.stdout.write(f"The job workers {self.doing}; --wait follows them.")
            return False
        follow_jobs(task_name)
        return True
