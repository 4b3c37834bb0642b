"""The memory budget: gunicorn's workers, which check each upload, and the job worker, which decodes it to make its
renditions, stay under 300 MB through the hostile corpus and the largest files each limit lets through, and a
worker's threads given the heaviest at once do too."""

import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import requests
from django.conf import settings
from PIL import ExifTags, Image
from rest_framework.authtoken.models import Token

from gallery.images import AVIF_BYTES_PER_PIXEL, DECODE_BUDGET_BYTES, HEIF_BYTES_PER_PIXEL, REDUCED_COPY
from gallery.images.limits import MAX_EXIF_BYTES, MAX_ICC_BYTES, MAX_METADATA_BYTES
from gallery.jobs.queue import waiting_jobs
from gallery.models import Photo
from gallery.tests.support import heic_bytes, photo_exif, png_chunk, running_gunicorn, wait_until
from gallery.tests.support.corpus import CORPUS, WEBP_PIXEL_LIMIT, noise_png, png_rows, saved, sized
from gallery.tests.support.malformed import jpeg_segment

MAX_WORKER_RSS_KB = 300 * 1024


def largest_allowed():
    """The biggest images and upload each limit lets through, with as much metadata as the limits allow beside
    the images whose decoders hold it while they decode: what a worker's memory must hold."""
    max_pixels = settings.GALLERY_MAX_PIXELS
    metadata = most_metadata()
    progressive_cmyk = saved(Image.new("CMYK", sized(DECODE_BUDGET_BYTES // 9)), "JPEG", progressive=True)
    rgba_png = png_rows(*sized(int(DECODE_BUDGET_BYTES // (4 * REDUCED_COPY))), color_type=6, channels=4)
    webp = Image.new("RGB", sized(WEBP_PIXEL_LIMIT))
    return {
        "jpeg-largest-baseline": saved(Image.new("L", sized(max_pixels)), "JPEG"),
        "jpeg-largest-progressive-444": saved(
            Image.new("RGB", sized(DECODE_BUDGET_BYTES // 7)), "JPEG", progressive=True, subsampling=0
        ),
        "jpeg-largest-progressive-cmyk": progressive_cmyk,
        "jpeg-largest-progressive-cmyk-most-metadata": jpeg_with_most_metadata(progressive_cmyk, **metadata),
        "png-largest-rgba": rgba_png,
        "png-largest-rgba-most-metadata": png_with_most_metadata(rgba_png, **metadata),
        "png-largest-grey": png_rows(*sized(max_pixels), color_type=0, channels=1),
        "webp-largest": saved(webp, "WEBP"),
        "webp-largest-most-metadata": saved(webp, "WEBP", **metadata),
        "avif-largest-most-metadata": saved(
            Image.new("RGB", sized(int(DECODE_BUDGET_BYTES // AVIF_BYTES_PER_PIXEL))), "AVIF", speed=10, **metadata
        ),
        "heic-largest-most-metadata": heic_bytes(
            Image.new("RGB", sized(int(DECODE_BUDGET_BYTES // HEIF_BYTES_PER_PIXEL)), (9, 99, 199)), **metadata
        ),
        "largest-upload": noise_png(settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024),
    }


def most_metadata():
    """EXIF (location included) and a colour profile each a little under their limits, and XMP for the rest of the
    metadata limit, as keyword arguments to save()."""
    exif = photo_exif()
    exif[ExifTags.Base.ImageDescription] = "x" * (MAX_EXIF_BYTES - 1000)
    icc_profile = bytes(MAX_ICC_BYTES - 50_000)
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>".ljust(MAX_METADATA_BYTES - MAX_EXIF_BYTES - MAX_ICC_BYTES, b" ")
    return {"exif": exif.tobytes(), "icc_profile": icc_profile, "xmp": xmp}


def jpeg_with_most_metadata(jpeg, exif, icc_profile, xmp):
    """The JPEG with this EXIF, profile and XMP (the packet, then extended XMP) in segments after its SOI."""
    segment = 65_000
    icc = [icc_profile[i : i + segment] for i in range(0, len(icc_profile), segment)]
    segments = [jpeg_segment(0xE1, exif)]
    segments += [jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes([n + 1, len(icc)]) + part) for n, part in enumerate(icc)]
    segments += [jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp[:segment])]
    segments += [
        jpeg_segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + xmp[i : i + segment])
        for i in range(segment, len(xmp), segment)
    ]
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def png_with_most_metadata(png, exif, icc_profile, xmp):
    """The PNG with this EXIF and profile, 1 MB of XMP and three comments of 1 MB (Pillow holds 4 MB of text at
    most), and 3 MB of unknown chunks after the pixels, which Pillow keeps too."""
    text = b"".join(png_chunk(b"tEXt", b"Comment\0" + b"x" * 1_000_000) for _ in range(3))
    private = b"".join(png_chunk(b"prIv", bytes(1_000_000)) for _ in range(3))
    chunks = (
        png_chunk(b"eXIf", exif.removeprefix(b"Exif\x00\x00"))
        + png_chunk(b"iCCP", b"profile\0\0" + zlib.compress(icc_profile))
        + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp[:1_000_000])
        + text
    )
    at = png.index(b"IDAT") - 4
    end = png.rindex(b"IEND") - 4
    return png[:at] + chunks + png[at:end] + private + png[end:]


@pytest.fixture(scope="module")
def largest():
    return largest_allowed()


@pytest.fixture(scope="module")
def budget_server(django_db_setup):
    """gunicorn as deployed, on its own, so that its workers' peak memory is this module's alone."""
    with running_gunicorn() as (base, process):
        yield base, process


def worker_pids(master):
    return [int(pid) for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]


def peak_rss_kb(pid):
    """A process's peak resident memory (VmHWM), in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))


def reset_peak_rss(pid):
    """Start a process's peak resident memory again from what it holds now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_workers_stay_under_300_mb_through_the_corpus(budget_server, alice, worker, largest):
    """gunicorn's workers, which detect each upload, and the job worker, which decodes each stored one to make its
    renditions, one file at a time so that each peak is that file's."""
    base, master = budget_server
    workers = worker_pids(master)
    headers = {"Authorization": f"Token {Token.objects.create(user=alice).key}"}
    assert 0 < settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024 - len(largest["largest-upload"]) < 300_000
    files = {name: make() for name, (make, _, _) in CORPUS.items()} | largest

    statuses, peaks, job_peaks, states = {}, {}, {}, {}
    for name, content in files.items():
        for pid in [*workers, worker.pid]:
            reset_peak_rss(pid)
        response = requests.post(f"{base}/api/photos", headers=headers, files={"photo": (name, content)}, timeout=120)
        statuses[name] = response.status_code
        peaks[name] = max(peak_rss_kb(pid) for pid in workers)
        assert response.headers["Content-Type"] == "application/json", (name, response.text[:300])
        if response.status_code == 201:
            processed = partial(processed_state, response.json()["id"])
            states[name] = wait_until(processed, f"processing of {name}", timeout=120)
            job_peaks[name] = peak_rss_kb(worker.pid)

    expected = {name: status for name, (_, status, _) in CORPUS.items()} | dict.fromkeys(largest, 201)
    assert statuses == expected
    assert states == dict.fromkeys(states, "ready")
    assert worker_pids(master) == workers, "no worker died or was replaced"
    highest = sorted(peaks.items(), key=lambda item: -item[1])[:5]
    highest_job = sorted(job_peaks.items(), key=lambda item: -item[1])[:5]
    print(f"highest peak worker RSS (kB): {highest}; corpus of {len(files)} files, {sum(map(len, files.values()))} B")
    print(f"highest peak job worker RSS (kB): {highest_job}")
    assert highest[0][1] < MAX_WORKER_RSS_KB, highest
    assert highest_job[0][1] < MAX_WORKER_RSS_KB, highest_job


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_a_worker_given_the_four_heaviest_uploads_at_once_stays_under_300_mb(alice, bucket, largest):
    """One worker's threads take the four uploads at once; it checks one image at a time (gallery.memory)."""
    heaviest = ["jpeg-largest-progressive-cmyk-most-metadata", "jpeg-largest-progressive-cmyk"]
    heaviest += ["jpeg-largest-progressive-444", "largest-upload"]
    headers = {"Authorization": f"Token {Token.objects.create(user=alice).key}"}
    with running_gunicorn(WEB_CONCURRENCY="1", WEB_THREADS="4") as (base, master):
        (pid,) = worker_pids(master)
        reset_peak_rss(pid)

        def upload(name):
            files = {"photo": (name, largest[name])}
            return requests.post(f"{base}/api/photos", headers=headers, files=files, timeout=120).status_code

        with ThreadPoolExecutor(len(heaviest)) as uploads:
            statuses = list(uploads.map(upload, heaviest))
        peak = peak_rss_kb(pid)
    print(f"peak RSS of one worker given {len(heaviest)} uploads at once (kB): {peak}")
    assert statuses == [201] * len(heaviest)
    assert peak < MAX_WORKER_RSS_KB


def processed_state(photo_id):
    """The photo's state (ready or failed) once its job has ended, its memory given back; None until then."""
    state = Photo.objects.get(pk=photo_id).state
    return None if state == "processing" or waiting_jobs() else state
