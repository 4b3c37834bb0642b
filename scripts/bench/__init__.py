"""photosite's benchmark: `make bench` runs it on a PostgreSQL and a SeaweedFS of its own, against gunicorn as deployed.

    python -m scripts.bench [--quick] [--direct-only]

It needs DATABASE_URL and the AWS_* settings of an empty database and bucket (scripts/stack.py provides them),
and prints one Markdown table of figures against the targets of issue 4 (BENCHMARKS.md explains them):

- GET /api/photos?limit=50 and the gallery page: p50 and p95 latency from one client, and requests per second
  from four, with 0, 1000, 10000 and 100000 photos stored (the rows beyond the first 50 point at those 50
  objects, with dates taken, cameras and titles of their own), and a search (q and a date filter), with
  PostgreSQL's plan for it;
- POST /api/photos of a 100 KB and a 4 MB photo-like JPEG beside boto3's put_object of the same bytes to the
  same S3 (no job worker running, so that the figures are the request's own), and uploads per second from four
  clients;
- the time from an upload's 201 to its photo being ready, with one idle job worker, and the 12-megapixel JPEGs
  two job worker processes render per minute;
- the peak memory of a fresh web worker while it takes the largest allowed upload (25 MB), and of a fresh job
  worker while it renders it;
- the image bytes Chromium downloads for the first gallery page, beside the sum of those photos' originals;
- the cost of signing the 200 URLs of a page of 50 photos, beside boto3's generate_presigned_url;
- a 50 MB direct upload through the protocol (scripts/direct_upload.py: requests, four parts in parallel, as the
  upload page sends them) beside boto3's upload_file of the same bytes to the same S3, and the web workers' CPU
  time for it (signing and completing) beside POST /api/photos of the same file.

--quick takes fewer samples, to check that it runs; --direct-only measures the direct-upload rows alone.

One module per measurement (lists, uploads, jobs, memory, page_bytes, signing, direct_uploads), each with the
function that measures and the report() that prints its rows; what they share is in servers (gunicorn, job
workers), client (HTTP requests, uploads, latencies), jpegs (the photo-like test images) and table. __main__ runs
them in order and prints the table. Importing the package sets Django up.
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosite.settings")

import django  # noqa: E402

django.setup()

# What scripts/lighthouse.py uses, wherever it is defined.
from scripts.bench.client import upload  # noqa: E402
from scripts.bench.jpegs import jpeg, texture  # noqa: E402
from scripts.bench.servers import gunicorn, job_workers, wait_ready  # noqa: E402

__all__ = ["BASE_DIR", "gunicorn", "job_workers", "jpeg", "texture", "upload", "wait_ready"]
