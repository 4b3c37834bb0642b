"""`python -m scripts.bench` (`make bench`): the measurements in order, then the table (the package's docstring says
what each measures; BENCHMARKS.md explains the figures).

To add a measurement (scripts/lighthouse.py's, say): a module here named for what it measures, with a function
that measures and returns its figures and a report() that prints its rows (scripts/bench/signing.py is the
smallest); call it in main() among the measurements whose conditions it needs (the site with the lists' photos,
no job worker running; or processes of its own, at the end), and add its report() to the table where its rows go.
"""

import argparse
import http.client
import io
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor

import boto3
import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image
from rest_framework.authtoken.models import Token

import scripts.bench
from scripts.bench import direct_uploads, jobs, lists, memory, page_bytes, signing, uploads
from scripts.bench.jpegs import jpeg, phone_photos
from scripts.bench.servers import gunicorn
from scripts.bench.table import CLIENTS, TABLE_HEAD


def main():
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description=scripts.bench.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples, to check that it runs")
    parser.add_argument("--direct-only", action="store_true", help="only the direct-upload rows")
    args = parser.parse_args()
    samples, seconds, repeats, renders = (30, 2, 5, 12) if args.quick else (300, 5, 21, 100)
    direct_repeats = 1 if args.quick else 5

    # What a deploy does first: the static files (gunicorn runs with DEBUG off, so whitenoise serves only
    # collected ones) and the migrations.
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:6]}")
    token = Token.objects.create(user=user).key
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name=settings.AWS_S3_REGION_NAME,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
        config=settings.AWS_S3_CLIENT_CONFIG,
    )
    if args.direct_only:
        django.db.connections.close_all()
        direct = direct_uploads.direct_uploads(token, s3, direct_repeats)
        print(f"\n{TABLE_HEAD}")
        direct_uploads.report(direct)
        return
    print(f"Generating {lists.PAGE} photo-like 12-megapixel JPEGs ...", file=sys.stderr)
    photos = phone_photos(lists.PAGE)
    small = jpeg(Image.open(io.BytesIO(photos[0])).resize((1024, 768)), 80)

    # The client processes are forked: they must not share this one's database connection.
    django.db.connections.close_all()
    # On the site as deployed, in this order: the lists store the photos the others read; each upload measurement
    # leaves jobs queued, which the next one with a job worker drops or waits for.
    with gunicorn() as (address, _), ProcessPoolExecutor(CLIENTS) as pool:
        results, seeding, plans = lists.measure(address, pool, token, user, photos, samples, seconds)
        signed = signing.signing_cost(20 if args.quick else 200)
        downloaded = page_bytes.measure(address)
        connection = http.client.HTTPConnection(*address, timeout=120)
        to_ready = jobs.time_to_ready(address, token, photos, repeats, connection)
        contents = (("100 KB", small), ("4 MB", photos[1]))
        upload_rows = uploads.against_put_object(address, token, s3, connection, contents, repeats)
        upload_rate = uploads.rate(pool, address, token, photos[1], seconds)
        render_rate = jobs.render_rate(address, token, photos, renders, connection)
    # On fresh processes of their own.
    largest = memory.largest_upload(token, photos[2])
    direct = direct_uploads.direct_uploads(token, s3, direct_repeats)

    # The table, in this order.
    print(f"\n{TABLE_HEAD}")
    lists.report(results)
    uploads.report(upload_rows, upload_rate)
    jobs.report(to_ready, render_rate)
    memory.report(largest)
    page_bytes.report(downloaded)
    signing.report(signed)
    direct_uploads.report(direct)
    lists.report_library(seeding, plans)


if __name__ == "__main__":
    main()
