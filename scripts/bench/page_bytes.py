"""Image bytes: what Debian's Chromium downloads for the first gallery page on three screens, scrolled to the end,
beside the ideal renditions and the photos' originals (scripts/image_bytes.py measures; this reports)."""

import sys

from gallery.models import Photo
from scripts import image_bytes
from scripts.bench.lists import PAGE


def measure(address):
    """(the first page's originals' bytes, image_bytes.measure's rows for the page)."""
    print("Loading the gallery in Chromium ...", file=sys.stderr)
    first_page = list(Photo.objects.order_by("-sort_at", "-id")[:PAGE])
    originals = sum(photo.size for photo in {photo.image.name: photo for photo in first_page}.values())
    return originals, image_bytes.measure(f"http://{address[0]}:{address[1]}/?limit={PAGE}")


def report(page_bytes):
    originals, measured = page_bytes
    for row in image_bytes.rows_of(measured, originals):
        print(row.replace(" | ", f" | {PAGE} shown | ", 1))
