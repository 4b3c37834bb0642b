"""photosite's benchmark: `make bench` runs it on a PostgreSQL and a SeaweedFS of its own, against gunicorn as deployed.

    python scripts/bench.py [--quick] [--direct-only]

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
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosite.settings")

import django  # noqa: E402

django.setup()

import boto3  # noqa: E402
import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import ExifTags, Image, ImageChops  # noqa: E402
from PIL.TiffImagePlugin import IFDRational  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from gallery.images import RENDITIONS  # noqa: E402
from gallery.jobs.photos import defer_processing  # noqa: E402
from gallery.models import Photo, PhotoState  # noqa: E402
from scripts.direct_upload import upload as direct_upload  # noqa: E402
from scripts.stack import free_ports  # noqa: E402

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
CAMERAS = [
    ("Canon", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON D850"),
    ("SONY", "ILCE-7M4"),
    ("FUJIFILM", "X-T5"),
    ("Apple", "iPhone 15 Pro"),
]
CLIENTS = 4
MB = 1024 * 1024
TABLE_HEAD = "| Measurement | Stored photos | Result | Target | Met |\n| --- | --- | --- | --- | --- |"


# --- Photo-like JPEGs ---------------------------------------------------------------------------------


def texture(size, seed):
    """Detail at every scale, as in a photograph (a 1/f spectrum), plus sensor grain: it compresses like one."""
    layers = []
    for index, divisor in enumerate((256, 64, 16, 4)):
        small = (max(2, size[0] // divisor), max(2, size[1] // divisor))
        bands = [Image.effect_noise(small, 100 - 5 * ((seed + band + index) % 5)) for band in range(3)]
        layers.append(Image.merge("RGB", bands).resize(size, Image.Resampling.BICUBIC))
    image = layers[0]
    for index, layer in enumerate(layers[1:], 1):
        image = Image.blend(image, layer, 0.5 if index < 2 else 0.25)
    return Image.blend(image, Image.effect_noise(size, 48).convert("RGB"), 0.08)


def jpeg(image, quality, exif=None):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def camera_exif(n):
    """EXIF as a camera writes it: make, model, lens, date taken (this morning, n minutes apart) with its offset,
    exposure. The rows seed_rows adds are older, so that the first page by date taken is these photos."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = CAMERAS[n % len(CAMERAS)]
    exif.get_ifd(ExifTags.IFD.Exif).update(
        {
            ExifTags.Base.DateTimeOriginal: time.strftime("%Y:%m:%d 06:%M:%S", time.gmtime(time.time() - 60 * n)),
            ExifTags.Base.OffsetTimeOriginal: "+02:00",
            ExifTags.Base.LensModel: "24-70mm F2.8",
            ExifTags.Base.ExposureTime: IFDRational(1, 250),
            ExifTags.Base.FNumber: IFDRational(28, 10),
            ExifTags.Base.ISOSpeedRatings: 400,
            ExifTags.Base.FocalLength: IFDRational(35, 1),
        }
    )
    return exif


def unique(content):
    """The JPEG with a comment segment (COM) no other upload has: the same image, never an exact duplicate."""
    comment = uuid.uuid4().hex.encode()
    return content[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + content[2:]


def phone_photos(count, size=(4000, 3000)):
    """`count` distinct 12-megapixel JPEGs of about 4 MB, as phones take them."""
    base = texture(size, 0)
    photos = []
    for n in range(count):
        shifted = ImageChops.offset(base, 97 * n, 61 * n)
        tint = Image.new("RGB", size, ((37 * n) % 256, (91 * n) % 256, (53 * n) % 256))
        photos.append(jpeg(Image.blend(shifted, tint, 0.12), 90, camera_exif(n)))
    return photos


def largest_jpeg(limit_bytes):
    """A photo-like JPEG just under the upload limit (about 40 megapixels at quality 95)."""
    image = texture((7400, 5550), 7)
    for quality in range(98, 79, -1):
        content = jpeg(image, quality)
        if len(content) <= limit_bytes - 256 * 1024:
            return content
    raise AssertionError("no JPEG under the upload limit")


# --- The site --------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(workers=2, **environ):
    """gunicorn as the Procfile runs it, DEBUG off, on plain HTTP; yields (address, master process)."""
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "WEB_CONCURRENCY": str(workers),
        "GALLERY_UPLOADS_PER_HOUR": "1000000",
        "GALLERY_UPLOADS_PER_HOUR_PER_IP": "1000000",
        "LOG_LEVEL": "WARNING",
        **environ,
    }
    command = [str(Path(sys.executable).with_name("gunicorn")), "photosite.wsgi", "--bind", f"127.0.0.1:{port}"]
    # gunicorn's own log goes to the terminal only when it fails to start.
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-gunicorn-{port}.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request("127.0.0.1", port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"gunicorn did not start:\n{log.read().decode(errors='replace')}")
            time.sleep(0.2)
        yield ("127.0.0.1", port), process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        log.close()
        Path(log.name).unlink()


def newest_worker_id():
    with django.db.connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


@contextlib.contextmanager
def job_workers(count=1):
    """`count` job workers as the Procfile runs them; yields their processes once all have registered."""
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "procrastinate", "worker"]
    before = newest_worker_id()
    processes = [subprocess.Popen(command, cwd=BASE_DIR, env=env) for _ in range(count)]
    try:
        deadline = time.monotonic() + 60
        while newest_worker_id() < before + count:
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                raise SystemExit("the job workers did not start")
            time.sleep(0.1)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)


def wait_ready(photo_ids, timeout=600):
    """Wait until none of these photos is processing; return the time it took."""
    start, deadline = time.perf_counter(), time.monotonic() + timeout
    while Photo.objects.filter(pk__in=photo_ids, state=PhotoState.PROCESSING).exists():
        assert time.monotonic() < deadline, "photos still processing"
        time.sleep(0.002)
    return time.perf_counter() - start


def drop_waiting_jobs():
    """Forget the jobs still queued (the benchmark's uploads made without a worker running)."""
    with django.db.connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")


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


def request(host, port, method, path, body=None, headers=None, connection=None):
    """One HTTP request; returns (status, body). Reuses `connection` (keep-alive) when given."""
    conn = connection or http.client.HTTPConnection(host, port, timeout=120)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if connection is None:
        conn.close()
    return response.status, data


def multipart(content, name="photo.jpg"):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def upload(address, token, content, connection=None):
    """POST a copy of the JPEG `content` that is no duplicate of an earlier upload, as a new photo."""
    body, content_type = multipart(unique(content))
    headers = {"Authorization": f"Token {token}", "Content-Type": content_type}
    status, data = request(*address, "POST", "/api/photos", body, headers, connection)
    assert status == 201, (status, data[:300])
    return json.loads(data)


def latencies(address, path, count):
    """Seconds each of `count` sequential GETs took on one keep-alive connection, after a warm-up."""
    connection = http.client.HTTPConnection(*address, timeout=60)
    for _ in range(30):
        assert request(*address, "GET", path, connection=connection)[0] == 200
    times = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = request(*address, "GET", path, connection=connection)
        times.append(time.perf_counter() - start)
        assert status == 200
    connection.close()
    return times


def client_loop(address, path, seconds):
    """Requests one client completes in `seconds` (run in its own process, so that clients do not share a GIL)."""
    connection = http.client.HTTPConnection(*address, timeout=60)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert request(*address, "GET", path, connection=connection)[0] == 200
        done += 1
    return done


def throughput(pool, address, path, seconds):
    start = time.perf_counter()
    done = sum(pool.map(client_loop, [address] * CLIENTS, [path] * CLIENTS, [seconds] * CLIENTS))
    return done / (time.perf_counter() - start)


def upload_loop(address, token, content, seconds):
    """Uploads one client completes in `seconds`, in its own process."""
    connection = http.client.HTTPConnection(*address, timeout=120)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        upload(address, token, content, connection)
        done += 1
    return done


def upload_throughput(pool, address, token, content, seconds):
    start = time.perf_counter()
    done = sum(pool.map(upload_loop, *zip(*[(address, token, content, seconds)] * CLIENTS, strict=True)))
    return done / (time.perf_counter() - start)


def percentile(times, fraction):
    return sorted(times)[min(len(times) - 1, int(fraction * len(times)))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


# --- Measurements ------------------------------------------------------------------------------------


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


def memory_mb(pid, field):
    """A process's VmRSS (resident now) or VmHWM (its peak), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


def signing_cost(repeats):
    """Mean microseconds per URL over the URLs of a page of 50 photos (the original and each rendition), warm; and
    boto3's for as many keys."""
    photos = list(Photo.objects.order_by("-created_at", "-id")[:PAGE])
    keys = [key for photo in photos for key in photo.object_keys()]
    assert len(keys) == (1 + len(RENDITIONS)) * PAGE
    for key in keys:
        default_storage.url(key)
    start = time.perf_counter()
    for _ in range(repeats):
        for key in keys:
            default_storage.url(key)
    ours = (time.perf_counter() - start) / (repeats * len(keys))
    client = default_storage.bucket.meta.client
    distinct = [f"photos/{uuid.uuid4().hex}.jpg" for _ in range(len(keys))]  # botocore caches per key
    start = time.perf_counter()
    for key in distinct:
        client.generate_presigned_url("get_object", Params={"Bucket": default_storage.bucket_name, "Key": key})
    theirs = (time.perf_counter() - start) / len(distinct)
    return ours, theirs


def browser_image_bytes(address, scale):
    """Bytes of images Chromium downloads for the first gallery page at 1440 x 900, scrolled to the end."""
    from playwright.sync_api import sync_playwright

    images = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=scale)

        def finished(request):
            if request.resource_type == "image" and not request.url.startswith("data:"):
                images[request.url] = request.sizes()["responseBodySize"]

        page.on("requestfinished", finished)
        page.goto(f"http://{address[0]}:{address[1]}/?limit={PAGE}", wait_until="networkidle")
        for _ in range(20):
            page.mouse.wheel(0, 900)
            page.wait_for_timeout(100)
        page.wait_for_load_state("networkidle")
        browser.close()
    return sum(images.values()), len(images)


def noise_jpeg(size):
    """A baseline JPEG of random pixels at quality 100: about 2 bytes a pixel, so 50 MB within the pixel limits."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=100)
    return buffer.getvalue()


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples, to check that it runs")
    parser.add_argument("--direct-only", action="store_true", help="only the direct-upload rows")
    args = parser.parse_args()
    samples, seconds, uploads, renders = (30, 2, 5, 12) if args.quick else (300, 5, 21, 100)

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
        direct = direct_uploads(token, s3, 1 if args.quick else 5)
        print(f"\n{TABLE_HEAD}")
        report_direct(direct)
        return
    print(f"Generating {PAGE} photo-like 12-megapixel JPEGs ...", file=sys.stderr)
    photos = phone_photos(PAGE)
    small = jpeg(Image.open(io.BytesIO(photos[0])).resize((1024, 768)), 80)
    results, seeding, plans = [], {}, {}

    # The client processes are forked: they must not share this one's database connection.
    django.db.connections.close_all()
    with gunicorn() as (address, _), ProcessPoolExecutor(CLIENTS) as pool:
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

        ours_us, boto_us = signing_cost(20 if args.quick else 200)
        print("Loading the gallery in Chromium ...", file=sys.stderr)
        first_page = list(Photo.objects.order_by("-sort_at", "-id")[:PAGE])
        originals = sum(photo.size for photo in {photo.image.name: photo for photo in first_page}.values())
        downloaded = {scale: browser_image_bytes(address, scale) for scale in (1, 2)}

        connection = http.client.HTTPConnection(*address, timeout=120)
        print(f"Uploading the 4 MB JPEG {uploads} times, each until it is ready ...", file=sys.stderr)
        with job_workers(1):
            upload(address, token, photos[3], connection)  # warm
            to_ready = []
            for n in range(uploads):
                time.sleep(0.5)  # the worker idles, as it does between uploads
                to_ready.append(wait_ready([upload(address, token, photos[n % PAGE], connection)["id"]]))

        # Uploads against put_object of the same bytes to the same bucket, no job worker running.
        upload_rows = []
        for label, content in (("100 KB", small), ("4 MB", photos[1])):
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
        print("Uploading the 4 MB JPEG from 4 clients ...", file=sys.stderr)
        upload_rate = upload_throughput(pool, address, token, photos[1], seconds)

        print(f"Rendering {renders} 12-megapixel JPEGs with two job workers ...", file=sys.stderr)
        drop_waiting_jobs()
        rendered = [upload(address, token, photos[n % PAGE], connection)["id"] for n in range(renders)]
        with job_workers(2):
            wait_ready(rendered)
        render_rate = len(rendered) / job_span(rendered) * 60

    print("Uploading the largest allowed JPEG to a fresh web worker, then to a fresh job worker ...", file=sys.stderr)
    largest = largest_jpeg(settings.GALLERY_MAX_UPLOAD_MB * MB)
    with gunicorn(workers=1) as (address, master):
        worker = int(Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()[0])
        upload(address, token, photos[2])  # a first upload loads what every upload needs
        idle = memory_mb(worker, "VmRSS")
        start = time.perf_counter()
        largest_id = upload(address, token, largest)["id"]
        largest_time = time.perf_counter() - start
        peak = memory_mb(worker, "VmHWM")
        drop_waiting_jobs()
        warm_id = upload(address, token, photos[2])["id"]
        with job_workers(1) as (job_worker,):
            wait_ready([warm_id])  # a first job loads what every job needs
            job_idle = memory_mb(job_worker.pid, "VmRSS")
            defer_processing(Photo.objects.get(pk=largest_id))
            largest_job = wait_ready([largest_id])
            job_peak = memory_mb(job_worker.pid, "VmHWM")

    direct = direct_uploads(token, s3, 1 if args.quick else 5)

    report(
        results,
        upload_rows,
        (upload_rate, to_ready, render_rate),
        (ours_us, boto_us),
        (originals, downloaded),
        (len(largest), idle, peak, largest_time, job_idle, job_peak, largest_job),
        direct,
    )
    report_library(results, seeding, plans)


def report(results, upload_rows, jobs, signing, page_bytes, largest, direct):
    print(f"\n{TABLE_HEAD}")
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
    targets = {"100 KB": 3, "4 MB": 1.5}
    for label, size, ours, raw in upload_rows:
        ratio = ours / raw
        print(
            f"| POST /api/photos, {label} JPEG ({size / MB:.2f} MB) | | p50 {ms(ours)}; put_object p50 {ms(raw)}; "
            f"{ratio:.1f} x | within {targets[label]} x put_object | {'yes' if ratio <= targets[label] else 'no'} |"
        )
    upload_rate, to_ready, render_rate = jobs
    print(f"| POST /api/photos, 4 MB JPEG, {CLIENTS} clients, 2 web workers | | {upload_rate:.1f} uploads/s | | |")
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
    size, idle, peak, seconds, job_idle, job_peak, job_seconds = largest
    print(
        f"| Web worker peak RSS during the largest allowed upload ({size / MB:.1f} MB JPEG, {ms(seconds)}) | | "
        f"{peak:.0f} MB (idle {idle:.0f} MB) | within 300 MB | {'yes' if peak <= 300 else 'no'} |"
    )
    print(
        f"| Job worker peak RSS rendering it ({ms(job_seconds)} from queued to ready) | | "
        f"{job_peak:.0f} MB (idle {job_idle:.0f} MB) | within 300 MB | {'yes' if job_peak <= 300 else 'no'} |"
    )
    originals, downloaded = page_bytes
    for scale, (total, count) in downloaded.items():
        share = total / originals
        target, met = ("within 5% of the originals", "yes" if share <= 0.05 else "no") if scale == 1 else ("", "")
        result = f"{total / MB:.2f} MB in {count} images, {share:.1%} of the originals' {originals / MB:.1f} MB"
        print(
            f"| Image bytes Chromium downloads for the first gallery page, 1440 x 900 at {scale}x | 50 shown | "
            f"{result} | {target} | {met} |"
        )
    ours, theirs = signing
    print(
        f"| Signing the 200 URLs of a page of 50 photos, warm | | {ours * 1e6:.1f} µs per URL (boto3's "
        f"generate_presigned_url: {theirs * 1e6:.0f} µs) | at most 20 µs | {'yes' if ours <= 20e-6 else 'no'} |"
    )

    report_direct(direct)


def report_direct(direct):
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


def report_library(results, seeding, plans):
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


if __name__ == "__main__":
    main()
