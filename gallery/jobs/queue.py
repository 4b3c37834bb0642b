"""What every job shares: the queues, the retry policy for S3 and PostgreSQL failures, periodic tasks, and how
a command follows the jobs it queued."""

import time

from django.db import DatabaseError, transaction
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.exceptions import AlreadyEnqueued
from tqdm import tqdm

from gallery.storage import StorageUnavailable

PHOTOS_QUEUE = "photos"
MAINTENANCE_QUEUE = "maintenance"
# Jobs of higher priority are taken first: upkeep never waits behind a backlog of photos.
MAINTENANCE_PRIORITY = 10
# How often a command's --wait looks at the queue.
POLL_SECONDS = 0.5

# S3 or PostgreSQL unreachable: tried again after 2, 4, 8, ... 1024 s, 11 runs over about 34 minutes,
# before the job fails for good. Anything else (an undecodable file) fails at once.
TRANSIENT_ERRORS = (StorageUnavailable, DatabaseError)
RETRY = RetryStrategy(max_attempts=10, exponential_wait=2, retry_exceptions=TRANSIENT_ERRORS)


def will_retry(task, job, error):
    """Whether Procrastinate will run this job again after it raised `error`."""
    return task.get_retry_exception(exception=error, job=job) is not None


def defer_once(task, key, **kwargs):
    """Queue task(**kwargs) in the caller's transaction unless a job with this key waits already; whether it was.

    One job per key waits at a time (the queueing lock), and one runs at a time (the lock).
    """
    try:
        with transaction.atomic():  # a savepoint: a refused job leaves the caller's transaction usable
            task.configure(lock=key, queueing_lock=key).defer(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


def periodic(cron):
    """Decorate a function as a maintenance task that a worker runs on schedule `cron`.

    cron has five fields, or six with seconds last ("* * * * * */10": every 10 s). The function receives
    `timestamp`, the scheduled time; it may be async (and then may use app.job_manager) or sync (and then may
    use the ORM). Whichever worker is free takes each run; one run at a time, before any photo.
    """

    def decorate(function):
        name = f"{function.__module__}.{function.__name__}"
        task = app.task(name=name, queue=MAINTENANCE_QUEUE, priority=MAINTENANCE_PRIORITY, lock=name)(function)
        return app.periodic(cron=cron)(task)

    return decorate


def waiting_jobs(task_name=None):
    """How many jobs on the photos queue (of `task_name` only, when given) are queued or running, retries included."""
    jobs = ProcrastinateJob.objects.filter(queue_name=PHOTOS_QUEUE, status__in=["todo", "doing"])
    return jobs.filter(task_name=task_name).count() if task_name else jobs.count()


def follow_jobs(task_name):
    """A progress bar over a task's jobs until none is queued or running: what the commands' --wait shows."""
    left = waiting_jobs(task_name)
    with tqdm(total=left, unit="photo") as bar:
        while left:
            time.sleep(POLL_SECONDS)
            now = waiting_jobs(task_name)
            bar.total = max(bar.total, bar.n + now)  # jobs queued meanwhile, by uploads
            bar.update(max(0, left - now))
            left = now
