"""A job worker verifying the largest direct uploads stays within its memory: the object is spooled to disk, never
held whole, and decoded within the decode budget. On the isolated site (gunicorn, PostgreSQL, S3, a job worker)."""

import contextlib
import io
import os
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

from gallery.images import DECODE_BUDGET_BYTES
from gallery.tests.support.processes import wait_until
from scripts.direct_upload import upload, wait_until_ended

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def noise_jpeg(size, quality=100):
    """A baseline JPEG of random pixels: it barely compresses, so a large file stays within the pixel limits."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def anonymous_kb(pid):
    """A process's resident anonymous memory (RssAnon): its heap, not the files it maps (the page cache's)."""
    return int(re.search(r"^RssAnon:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE).group(1))


@contextlib.contextmanager
def peak_anonymous_kb(pid):
    """Sample RssAnon every 10 ms through the block; yields a dict whose "peak" is the highest seen."""
    seen, stop = {"peak": anonymous_kb(pid)}, threading.Event()

    def sample():
        while not stop.wait(0.01):
            seen["peak"] = max(seen["peak"], anonymous_kb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        stop.set()
        sampler.join()


def test_verifying_a_150_mb_upload_holds_neither_the_file_nor_more_than_the_decode_budget(isolated_site):
    site = isolated_site
    large = noise_jpeg((10000, 8000))  # 80 megapixels, some 150 MB
    assert len(large) > 120 * MB
    with site.running_workers(1) as (worker,):
        # A first upload loads what every verification and rendition needs.
        warm = upload(site.url, site.token, noise_jpeg((1200, 900)), "warm.jpg")
        assert wait_until_ended(site.url, site.token, warm["id"])["state"] == "done"
        idle = anonymous_kb(worker.pid)

        with peak_anonymous_kb(worker.pid) as memory:
            completed = upload(site.url, site.token, large, "large.jpg")
            session = wait_until_ended(site.url, site.token, completed["id"])
            assert session["state"] == "done", session["error"]
            photo_id = session["photo"]["id"]
            wait_until(lambda: site.states([photo_id]) == {photo_id: "ready"}, "renditions", timeout=300)

    assert session["photo"]["size"] == len(large)
    grown = (memory["peak"] - idle) * 1024
    # Verification and renditions both read the 150 MB: spooled to disk, the heap grows by the decode alone.
    assert grown < min(DECODE_BUDGET_BYTES, len(large) // 2), f"the job worker's heap grew by {grown // MB} MB"
