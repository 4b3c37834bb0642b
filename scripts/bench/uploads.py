"""Uploads: POST /api/photos of a 100 KB and a 4 MB JPEG beside boto3's put_object of the same bytes to the same
bucket, no job worker running (the figures are the request's own), and uploads per second from four clients."""

import statistics
import sys
import time

from django.conf import settings

from scripts.bench.client import upload, upload_throughput
from scripts.bench.table import CLIENTS, MB, ms

# The most a p50 may be, in put_objects of the same bytes.
TARGETS = {"100 KB": 3, "4 MB": 1.5}


def against_put_object(address, token, s3, connection, contents, uploads):
    """(label, size, our p50, put_object's p50) for each (label, content), `uploads` of each, alternated."""
    upload_rows = []
    for label, content in contents:
        print(f"Uploading the {label} JPEG {uploads} times, and put_object of it ...", file=sys.stderr)
        upload(address, token, content, connection)  # warm
        s3.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key="bench/warm", Body=content)
        ours, raw = [], []
        for n in range(uploads):
            start = time.perf_counter()
            upload(address, token, content, connection)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            s3.put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=f"bench/raw-{n}", Body=content)
            raw.append(time.perf_counter() - start)
        upload_rows.append((label, len(content), statistics.median(ours), statistics.median(raw)))
    return upload_rows


def rate(pool, address, token, content, seconds):
    """Uploads per second of `content` from CLIENTS client processes."""
    print("Uploading the 4 MB JPEG from 4 clients ...", file=sys.stderr)
    return upload_throughput(pool, address, token, content, seconds)


def report(upload_rows, upload_rate):
    for label, size, ours, raw in upload_rows:
        ratio = ours / raw
        print(
            f"| POST /api/photos, {label} JPEG ({size / MB:.2f} MB) | | p50 {ms(ours)}; put_object p50 {ms(raw)}; "
            f"{ratio:.1f} x | within {TARGETS[label]} x put_object | {'yes' if ratio <= TARGETS[label] else 'no'} |"
        )
    print(f"| POST /api/photos, 4 MB JPEG, {CLIENTS} clients, 2 web workers | | {upload_rate:.1f} uploads/s | | |")
