"""The lists: GET /api/photos?limit=50 and the gallery page with 0 to 100000 photos stored, and two searches, each
from one client (p50, p95) and from four (requests per second); how long the bulk inserts took, and PostgreSQL's
plan for the searches."""

import http.client
import statistics
import sys
import time

import django

from gallery.models import Photo
from scripts.bench.client import latencies, throughput, upload
from scripts.bench.jpegs import CAMERAS
from scripts.bench.servers import job_workers, wait_ready
from scripts.bench.table import CLIENTS, ms, percentile

PAGE = 50
STORED = (0, 1000, 10000, 100000)
# Two searches with a date filter: words that few photos share (two words, the second a prefix), where PostgreSQL
# reads the GIN index, and one word in 2% of the photos, where it walks the date index newest first instead.
SEARCHES = {
    "rare": "/api/photos?q=lighthouse+harb&taken_at_after=2010-01-01&limit=50",
    "common": "/api/photos?q=lighthouse&taken_at_after=2010-01-01&limit=50",
}
# Titles of the seeded rows are two of these words: each word is in about 2% of them.
WORDS = str.split(
    "harbour mountain beach lighthouse forest river city market garden bridge castle church lake snow desert "
    "island village street station museum park festival wedding birthday concert sunset sunrise storm rain "
    "autumn spring summer winter night morning family friends dog cat horse bird flowers tree boat train car "
    "portrait selfie food dinner breakfast party school office home kitchen balcony roof window door stairs "
    "road path field farm cliff cave valley hill glacier volcano waterfall canyon coast bay pier port dock "
    "tower temple palace ruins statue fountain square alley tunnel airport plane bus tram bike picnic camping"
)


def measure(address, pool, token, user, photos, samples, seconds):
    """For each of STORED: the real uploads first (the `photos`, through the API, rendered by a job worker), then
    seeded rows up to that many, then each list. Returns (results, seconds each bulk insert took, search plans)."""
    results, seeding, plans = [], {}, {}
    for total in STORED:
        if total and Photo.objects.count() < PAGE:
            print(f"Uploading the {PAGE} photos through the API, rendered by a job worker ...", file=sys.stderr)
            connection = http.client.HTTPConnection(*address, timeout=120)
            with job_workers(1):
                wait_ready([upload(address, token, content, connection)["id"] for content in reversed(photos)])
            # SeaweedFS goes on writing 170 MB for a while; measured right away, 1000 photos read slower.
            time.sleep(15)
        started = time.perf_counter()
        seed_rows(total, Photo.objects.filter(owner=user))
        if total > PAGE:
            seeding[total] = time.perf_counter() - started
        assert Photo.objects.count() == total
        measured = [
            ("GET /api/photos?limit=50", f"/api/photos?limit={PAGE}"),
            ("GET / (gallery page)", f"/?limit={PAGE}"),
        ]
        if total >= 10000:
            for kind, path in SEARCHES.items():
                measured.append((f"GET {path}", path))
                plans[(kind, total)] = search_plan(path)
        for label, path in measured:
            print(f"{label} with {total} photos ...", file=sys.stderr)
            times = latencies(address, path, samples)
            rate = throughput(pool, address, path, seconds)
            results.append((label, total, statistics.median(times), percentile(times, 0.95), rate))
    return results, seeding, plans


def seed_rows(total, originals):
    """Insert rows until there are `total`, older than the real photos (taken by 2020, or uploaded a day before
    them when undated), each pointing at one of their objects, with
    titles, dates taken (a tenth unknown), offsets, cameras and checksums of their own: one INSERT ... SELECT of
    generate_series, which PostgreSQL runs in seconds for 100000 rows."""
    missing = total - Photo.objects.count()
    if missing <= 0:
        return
    oldest = Photo.objects.order_by("created_at").first().created_at.replace(microsecond=0)
    first = Photo.all_objects.count()
    columns = ["image", "width", "height", "size", "content_type", "state", "owner_id", "thumbhash", "average_colour"]
    model = list(zip(*originals.order_by("pk").values_list(*columns), strict=True))
    makes, models = zip(*CAMERAS, strict=True)
    with django.db.connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Photo._meta.db_table} (
                image, width, height, size, content_type, state, owner_id, visibility, processing_error, title,
                description, original_filename, checksum, created_at, taken_at, taken_at_offset, taken_at_corrected,
                camera_make, camera_model, lens, exposure_time, f_number, iso, focal_length, metadata_read, favorite,
                missing_renditions, thumbhash, average_colour
            )
            SELECT
                o.image, o.width, o.height, o.size, o.content_type, o.state, o.owner_id, 'public', '',
                w.words[1 + g %% {len(WORDS)}] || ' ' || w.words[1 + (g / {len(WORDS)}) %% {len(WORDS)}],
                CASE WHEN g %% 4 = 0 THEN 'Near the ' || w.words[1 + (g / 7) %% {len(WORDS)}] ELSE '' END,
                'IMG_' || g || '.JPG', encode(sha256(('bench ' || g)::bytea), 'hex'),
                %s - interval '1 day' - g * interval '1 second',
                CASE WHEN g %% 10 = 0 THEN NULL
                     ELSE timestamp '2000-01-01' + (g * 7919 %% (20 * 365 * 86400)) * interval '1 second' END,
                CASE g %% 3 WHEN 0 THEN 540 WHEN 1 THEN 60 END, false,
                c.makes[1 + g %% 5], c.models[1 + g %% 5], '24-70mm F2.8', 0.004, 2.8, 400, 35, true,
                g %% 20 = 0, '{{}}', o.thumbhash, o.average_colour
            FROM generate_series(%s, %s) AS g
            JOIN unnest(
                %s::text[], %s::int[], %s::int[], %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::text[],
                %s::text[]
            ) WITH ORDINALITY AS o(image, width, height, size, content_type, state, owner_id, thumbhash,
                average_colour, n) ON o.n = 1 + g %% %s
            CROSS JOIN (SELECT %s::text[] AS words) AS w
            CROSS JOIN (SELECT %s::text[] AS makes, %s::text[] AS models) AS c
            """,
            [oldest, first, first + missing - 1, *map(list, model), len(model[0]), *map(list, (WORDS, makes, models))],
        )
        # What autovacuum does soon after a bulk insert: without statistics PostgreSQL reads 1000 rows whole.
        cursor.execute(f"VACUUM ANALYZE {Photo._meta.db_table}")


def search_plan(path):
    """PostgreSQL's plan for a search, as the API runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(path, secure=True, HTTP_HOST="localhost").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {queries.captured_queries[-1]['sql']}")
        return "\n".join(row[0] for row in cursor.fetchall())


def report(results):
    """Each list's row, and how much its p50 grew from 1000 photos to more."""
    by_total = {}
    for label, total, p50, p95, rate in results:
        by_total[(label, total)] = p50
        target, met = "", ""
        if label.startswith("GET /api/photos?limit") and total == max(STORED):
            target, met = "p50 within 8 ms", "yes" if p50 <= 0.008 else "no"
        elif label.startswith("GET /api/photos?q="):
            at_most = total == max(STORED) and label == f"GET {SEARCHES['rare']}"
            target, met = ("p50 within 40 ms", "yes" if p50 <= 0.040 else "no") if at_most else ("", "")
        elif total:
            target, met = "p50 within 25 ms", "yes" if p50 <= 0.025 else "no"
        result = f"p50 {ms(p50)}, p95 {ms(p95)}, {rate:.0f} requests/s ({CLIENTS} clients)"
        print(f"| {label} | {total} | {result} | {target} | {met} |")
    for label in ("GET /api/photos?limit=50", "GET / (gallery page)"):
        for larger in (10000, max(STORED)):
            change = by_total[(label, larger)] / by_total[(label, 1000)] - 1
            met = "yes" if abs(change) <= 0.20 else "no"
            print(f"| {label}: p50 from 1000 to {larger} photos | | {change:+.0%} | within 20% | {met} |")


def report_library(seeding, plans):
    """The rows of issue 13: how long the bulk inserts took, and whether the search used its GIN index."""
    for total, seconds in sorted(seeding.items()):
        label = f"Inserting the rows up to {total} photos (INSERT ... SELECT, then VACUUM ANALYZE)"
        print(f"| {label} | {total} | {seconds:.1f} s | | |")
    for (kind, total), plan in sorted(plans.items()):
        scans = ", ".join(line.strip().split("  (")[0].lstrip("-> ") for line in plan.splitlines() if " Scan " in line)
        target, met = "", ""
        if kind == "rare" and total == max(STORED):
            target, met = "the GIN index", "yes" if "Bitmap Index Scan on photo_search" in scans else "no"
        print(f"| EXPLAIN of GET {SEARCHES[kind]} | {total} | {scans} | {target} | {met} |")
    for kind in SEARCHES:
        print(f"\nEXPLAIN of the {kind} search at {max(STORED)}:\n{plans[(kind, max(STORED))]}", file=sys.stderr)
