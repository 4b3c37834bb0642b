"""Image bytes: what Debian's Chromium downloads for the first gallery page at 1440 x 900, scrolled to the end,
beside the sum of the sizes of those photos' originals; at a device pixel ratio of 1 (the target) and 2."""

import sys

from gallery.models import Photo
from scripts.bench.lists import PAGE
from scripts.bench.table import MB

SCALES = (1, 2)


def measure(address):
    """(the first page's originals' bytes, {scale: (image bytes downloaded, images)})."""
    print("Loading the gallery in Chromium ...", file=sys.stderr)
    first_page = list(Photo.objects.order_by("-sort_at", "-id")[:PAGE])
    originals = sum(photo.size for photo in {photo.image.name: photo for photo in first_page}.values())
    downloaded = {scale: browser_image_bytes(address, scale) for scale in SCALES}
    return originals, downloaded


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


def report(page_bytes):
    originals, downloaded = page_bytes
    for scale, (total, count) in downloaded.items():
        share = total / originals
        target, met = ("within 5% of the originals", "yes" if share <= 0.05 else "no") if scale == 1 else ("", "")
        result = f"{total / MB:.2f} MB in {count} images, {share:.1%} of the originals' {originals / MB:.1f} MB"
        print(
            f"| Image bytes Chromium downloads for the first gallery page, 1440 x 900 at {scale}x | 50 shown | "
            f"{result} | {target} | {met} |"
        )
