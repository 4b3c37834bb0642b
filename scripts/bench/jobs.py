"""Jobs: the time from an upload's 201 to its photo being ready with one idle job worker, and the 12-megapixel
JPEGs two job worker processes render per minute."""

import statistics
import sys
import time

import django

from scripts.bench.client import upload
from scripts.bench.servers import drop_waiting_jobs, job_workers, wait_ready
from scripts.bench.table import ms, percentile


def time_to_ready(address, token, photos, uploads, connection):
    """Seconds from each of `uploads` uploads' 201 to its photo ready, one idle job worker running."""
    print(f"Uploading the 4 MB JPEG {uploads} times, each until it is ready ...", file=sys.stderr)
    with job_workers(1):
        upload(address, token, photos[3], connection)  # warm
        to_ready = []
        for n in range(uploads):
            time.sleep(0.5)  # the worker idles, as it does between uploads
            to_ready.append(wait_ready([upload(address, token, photos[n % len(photos)], connection)["id"]]))
    return to_ready


def render_rate(address, token, photos, renders, connection):
    """Photos per minute two job workers render, of `renders` queued before they start."""
    print(f"Rendering {renders} 12-megapixel JPEGs with two job workers ...", file=sys.stderr)
    drop_waiting_jobs()
    rendered = [upload(address, token, photos[n % len(photos)], connection)["id"] for n in range(renders)]
    with job_workers(2):
        wait_ready(rendered)
    return len(rendered) / job_span(rendered) * 60


def job_span(photo_ids):
    """Seconds from the first of these photos' jobs starting to the last one succeeding (Procrastinate's events)."""
    with django.db.connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(e.at) FILTER (WHERE e.type = 'started'), max(e.at) FILTER (WHERE e.type = 'succeeded'),"
            " count(*) FILTER (WHERE e.type = 'succeeded')"
            " FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
            " WHERE j.task_name = 'gallery.process_photo' AND (j.args->>'photo_id')::bigint = ANY(%s)",
            [list(photo_ids)],
        )
        first, last, succeeded = cursor.fetchone()
    assert succeeded == len(photo_ids), (succeeded, len(photo_ids))
    return (last - first).total_seconds()


def report(to_ready, render_rate):
    p50 = statistics.median(to_ready)
    print(
        f"| From the 201 to the photo ready, 4 MB JPEG, one idle job worker | | p50 {ms(p50)}, "
        f"p95 {ms(percentile(to_ready, 0.95))} | p50 under 400 ms | {'yes' if p50 < 0.4 else 'no'} |"
    )
    print(
        f"| Job worker throughput, two worker processes, 12-megapixel JPEGs | | {render_rate:.0f} per minute "
        f"({render_rate / 120:.1f} per second per process) | at least 500 per minute | "
        f"{'yes' if render_rate >= 500 else 'no'} |"
    )
