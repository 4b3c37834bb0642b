"""Direct uploads: a 50 MB JPEG through the protocol (scripts/direct_upload.py) beside boto3's upload_file of the
same file to the same bucket, and the web workers' CPU time for one such upload beside POST /api/photos of it."""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import psutil
from django.conf import settings

from scripts.bench.client import upload
from scripts.bench.jpegs import noise_jpeg
from scripts.bench.servers import drop_waiting_jobs, gunicorn
from scripts.bench.table import MB, ms
from scripts.direct_upload import upload as direct_upload


def web_cpu_seconds(master):
    """The CPU time (user and system) gunicorn's workers have used so far."""
    return sum(sum(child.cpu_times()[:2]) for child in psutil.Process(master.pid).children())


def direct_uploads(token, s3, repeats):
    """(size, the protocol's p50, upload_file's p50, web CPU per direct upload, web CPU per POST /api/photos)."""
    print("Uploading a 50 MB JPEG directly, with upload_file, and to POST /api/photos ...", file=sys.stderr)
    content = noise_jpeg((5100, 5100))
    spool = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-direct-{uuid.uuid4().hex}.jpg"
    spool.write_bytes(content)
    # The form upload of the same file needs the form's limit above it.
    with gunicorn(GALLERY_MAX_UPLOAD_MB=str(len(content) // MB + 8)) as (address, master):
        base = f"http://{address[0]}:{address[1]}"
        direct_upload(base, token, content, "warm.jpg")
        s3.upload_file(str(spool), settings.AWS_STORAGE_BUCKET_NAME, "bench/warm-direct")
        ours, raw, ours_cpu, form_cpu = [], [], [], []
        for n in range(repeats):
            cpu, start = web_cpu_seconds(master), time.perf_counter()
            assert direct_upload(base, token, content, f"direct-{n}.jpg")["state"] == "verifying"
            ours.append(time.perf_counter() - start)
            ours_cpu.append(web_cpu_seconds(master) - cpu)
            start = time.perf_counter()
            s3.upload_file(str(spool), settings.AWS_STORAGE_BUCKET_NAME, f"bench/direct-raw-{n}")
            raw.append(time.perf_counter() - start)
            cpu = web_cpu_seconds(master)
            upload(address, token, content)
            form_cpu.append(web_cpu_seconds(master) - cpu)
    spool.unlink()
    drop_waiting_jobs()
    return len(content), *map(statistics.median, (ours, raw, ours_cpu, form_cpu))


def report(direct):
    size, ours, raw, ours_cpu, form_cpu = direct
    ratio = ours / raw
    print(
        f"| Direct upload of a {size / MB:.1f} MB JPEG, 4 parts at a time (start to 202) | | p50 {ms(ours)}; "
        f"upload_file p50 {ms(raw)}; {ratio:.2f} x | within 1.3 x upload_file | {'yes' if ratio <= 1.3 else 'no'} |"
    )
    print(
        f"| Web workers' CPU time for that upload: direct (signing, completing) / POST /api/photos | | "
        f"{ms(ours_cpu)} / {ms(form_cpu)} | | |"
    )
