"""What every job shares: the queues, the retry policy for S3 and PostgreSQL failures, and periodic tasks."""

from django.db import DatabaseError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from gallery.storage import StorageUnavailable

PHOTOS_QUEUE = "photos"
MAINTENANCE_QUEUE = "maintenance"
# Jobs of higher priority are taken first: upkeep never waits behind a backlog of photos.
MAINTENANCE_PRIORITY = 10

# S3 or PostgreSQL unreachable: tried again after 2, 4, 8, ... 1024 s, 11 runs over about 34 minutes,
# before the job fails for good. Anything else (an undecodable file) fails at once.
TRANSIENT_ERRORS = (StorageUnavailable, DatabaseError)
RETRY = RetryStrategy(max_attempts=10, exponential_wait=2, retry_exceptions=TRANSIENT_ERRORS)


def will_retry(task, job, error):
    """Whether Procrastinate will run this job again after it raised `error`."""
    return task.get_retry_exception(exception=error, job=job) is not None


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
