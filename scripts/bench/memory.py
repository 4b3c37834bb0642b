"""Memory: the peak RSS of a fresh web worker while it takes the largest allowed upload, and of a fresh job worker
while it renders it."""

import re
import sys
import time
from pathlib import Path

from django.conf import settings

from gallery.jobs.photos import defer_processing
from gallery.models import Photo
from scripts.bench.client import upload
from scripts.bench.jpegs import largest_jpeg
from scripts.bench.servers import drop_waiting_jobs, gunicorn, job_workers, wait_ready
from scripts.bench.table import MB, ms


def memory_mb(pid, field):
    """A process's VmRSS (resident now) or VmHWM (its peak), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


def largest_upload(token, ordinary):
    """(size, web idle MB, web peak MB, upload seconds, job worker idle MB, its peak MB, seconds to ready), each
    worker fresh and warmed by the `ordinary` JPEG first."""
    print("Uploading the largest allowed JPEG to a fresh web worker, then to a fresh job worker ...", file=sys.stderr)
    largest = largest_jpeg(settings.GALLERY_MAX_UPLOAD_MB * MB)
    with gunicorn(workers=1) as (address, master):
        worker = int(Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()[0])
        upload(address, token, ordinary)  # a first upload loads what every upload needs
        idle = memory_mb(worker, "VmRSS")
        start = time.perf_counter()
        largest_id = upload(address, token, largest)["id"]
        largest_time = time.perf_counter() - start
        peak = memory_mb(worker, "VmHWM")
        drop_waiting_jobs()
        warm_id = upload(address, token, ordinary)["id"]
        with job_workers(1) as (job_worker,):
            wait_ready([warm_id])  # a first job loads what every job needs
            job_idle = memory_mb(job_worker.pid, "VmRSS")
            defer_processing(Photo.objects.get(pk=largest_id))
            largest_job = wait_ready([largest_id])
            job_peak = memory_mb(job_worker.pid, "VmHWM")
    return len(largest), idle, peak, largest_time, job_idle, job_peak, largest_job


def report(largest):
    size, idle, peak, seconds, job_idle, job_peak, job_seconds = largest
    print(
        f"| Web worker peak RSS during the largest allowed upload ({size / MB:.1f} MB JPEG, {ms(seconds)}) | | "
        f"{peak:.0f} MB (idle {idle:.0f} MB) | within 300 MB | {'yes' if peak <= 300 else 'no'} |"
    )
    print(
        f"| Job worker peak RSS rendering it ({ms(job_seconds)} from queued to ready) | | "
        f"{job_peak:.0f} MB (idle {job_idle:.0f} MB) | within 300 MB | {'yes' if job_peak <= 300 else 'no'} |"
    )
