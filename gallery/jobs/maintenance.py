"""Upkeep of the job queue: jobs of workers that died are run again, finished jobs' rows are removed.

Workers send a heartbeat every WORKER_HEARTBEAT_SECONDS (settings.PROCRASTINATE_WORKER_DEFAULTS); a worker
silent for STALLED_AFTER_SECONDS is taken as dead. So a job whose worker was killed is running again within
STALLED_AFTER_SECONDS + RETRY_STALLED_EVERY_SECONDS (40 s) of its last heartbeat, plus the few seconds a
free worker takes to poll for it.
"""

from django.conf import settings

from gallery.jobs.queue import app, periodic

STALLED_AFTER_SECONDS = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
RETRY_STALLED_EVERY_SECONDS = 10
# Finished jobs are kept this long, for an operator to look into (the photo keeps its own state and error).
KEEP_FINISHED_JOBS_HOURS = 7 * 24


@periodic(f"* * * * * */{RETRY_STALLED_EVERY_SECONDS}")
async def retry_stalled_jobs(timestamp):
    """Put the running jobs of dead workers back in the queue (Procrastinate's documented recipe)."""
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS):
        await app.job_manager.retry_job(job)


@periodic("17 4 * * *")
async def remove_old_jobs(timestamp):
    """Delete the rows of jobs that finished more than KEEP_FINISHED_JOBS_HOURS ago, daily."""
    await app.job_manager.delete_old_jobs(
        nb_hours=KEEP_FINISHED_JOBS_HOURS, include_failed=True, include_cancelled=True, include_aborted=True
    )
