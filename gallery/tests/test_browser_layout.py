"""The gallery's layout in Chromium: nothing moves while images arrive late, and dense screens get the grid size.

Image responses are held back 800 ms (a slow network; a local S3 answers before the first paint) and the
layout shifts are read from a PerformanceObserver, as Lighthouse's CLS counts them.
"""

import time

import pytest

from gallery.tests import test_browser
from gallery.tests.support import image_bytes, stored_photo
from gallery.tests.test_renditions import near
from scripts.image_bytes import ALL_SHOWN, SCREENS, TILES, ideal_url

# test_browser.py's fixtures: Debian's Chromium, the live server.
browser_type_launch_args = test_browser.browser_type_launch_args
site = test_browser.site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
SHAPES = [(1200, 800), (800, 1200), (1000, 1000), (1600, 900), (900, 1600), (1500, 500)]
IMAGE_DELAY_SECONDS = 0.8
SUM_LAYOUT_SHIFTS = """
    window.layoutShift = 0;
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
"""


def delayed_images(page):
    """Hold back every WebP response by IMAGE_DELAY_SECONDS; return the list of the URLs requested."""
    requested = []

    def hold(route):
        requested.append(route.request.url)
        time.sleep(IMAGE_DELAY_SECONDS)
        route.continue_()

    page.route("**/*.webp*", hold)
    return requested


def layout_shift_once_loaded(page, url):
    """Open the page, wait until every image is shown, and return the sum of its layout shifts."""
    page.goto(url)
    page.wait_for_function("() => [...document.images].every((image) => image.complete && image.naturalWidth > 0)")
    page.wait_for_timeout(200)  # a shift is reported in the frame after it
    return page.evaluate("window.layoutShift")


def test_no_layout_shift_on_a_phone_while_images_arrive_late(browser, site, make_user):
    owner = make_user("photographer")
    photos = [
        stored_photo(owner, f"shape {n}.jpg", image_bytes("JPEG", size, color=(40 * n, 90, 160)))
        for n, size in enumerate(SHAPES)
    ]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.add_init_script(SUM_LAYOUT_SHIFTS)
    requested = delayed_images(page)

    gallery_shift = layout_shift_once_loaded(page, f"{site}/")
    gallery_images = list(requested)
    photo_shift = layout_shift_once_loaded(page, f"{site}{photos[1].get_absolute_url()}")

    assert gallery_shift < 0.02, f"the gallery shifted by {gallery_shift:.3f}"
    assert photo_shift < 0.02, f"the photo page shifted by {photo_shift:.3f}"
    # At 3x a tile of 170 CSS pixels wants some 510 pixels: the grid size, not the display size.
    assert len(gallery_images) == len(photos) and all(".grid.webp" in url for url in gallery_images)
    assert [url for url in requested[len(gallery_images) :] if ".display.webp" in url], "the photo page at 3x"
    context.close()


TILE_BOXES = """() => {
    const grid = document.getElementById("photo-grid").getBoundingClientRect();
    const tiles = [...document.querySelectorAll("#photo-grid .tile img")].map((image) => {
        const box = image.getBoundingClientRect();
        return { top: Math.round(box.top), left: box.left, right: box.right, width: box.width, height: box.height,
                 shape: image.naturalWidth / image.naturalHeight };
    });
    return { left: grid.left, right: grid.right, tiles };
}"""


@pytest.mark.parametrize(
    "viewport", [{"width": 1440, "height": 900}, {"width": 375, "height": 812}], ids=["wide", "phone"]
)
def test_the_grid_lays_photos_in_justified_rows_each_in_its_shape(browser, site, make_user, viewport):
    owner = make_user("photographer")
    for n, size in enumerate(SHAPES * 3):
        stored_photo(owner, f"shape {n}.jpg", image_bytes("JPEG", size, color=(12 * n, 90, 160)))
    context = browser.new_context(viewport=viewport)
    page = context.new_page()

    page.goto(f"{site}/")
    page.wait_for_function("() => [...document.images].every((image) => image.complete && image.naturalWidth > 0)")
    layout = page.evaluate(TILE_BOXES)

    rows = {}
    for tile in layout["tiles"]:
        assert tile["width"] / tile["height"] == pytest.approx(tile["shape"], rel=0.02), "the photo keeps its shape"
        rows.setdefault(tile["top"], []).append(tile)
    assert len(rows) > 2
    for top, row in list(rows.items())[:-1]:  # the last row keeps the row height instead of filling the width
        assert max(tile["height"] for tile in row) - min(tile["height"] for tile in row) <= 1, f"row at {top}"
        assert row[0]["left"] == pytest.approx(layout["left"], abs=1) and row[-1]["right"] == pytest.approx(
            layout["right"], abs=2
        ), f"the row at {top} spans the grid"
    context.close()


RECORD_BACKGROUNDS_AT_LOAD = """
    window.backgroundsAtLoad = [];
    document.addEventListener("load", (event) => {
        if (event.target.dataset && event.target.dataset.thumbhash !== undefined)
            window.backgroundsAtLoad.push(getComputedStyle(event.target).backgroundImage);
    }, true);
"""


def test_the_placeholders_are_painted_until_the_images_arrive(browser, site, make_user):
    owner = make_user("photographer")
    photos = [stored_photo(owner, f"shape {n}.jpg", image_bytes("JPEG", size)) for n, size in enumerate(SHAPES)]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems = test_browser.watch(page)
    page.add_init_script(RECORD_BACKGROUNDS_AT_LOAD)
    delayed_images(page)

    for path in ("/", photos[0].get_absolute_url()):
        page.goto(f"{site}{path}")
        page.wait_for_function("() => [...document.images].every((image) => image.complete && image.naturalWidth > 0)")
        shown = len(page.query_selector_all("img[data-thumbhash]"))
        # Each image, as it arrived, had its placeholder behind it (a PNG decoded from its ThumbHash)...
        at_load = page.evaluate("() => window.backgroundsAtLoad")
        assert len(at_load) == shown == (len(photos) if path == "/" else 1), path
        assert all(background.startswith('url("data:image/png;base64,') for background in at_load), path
        # ... and none once it is there (a transparent photo shows the tile behind it).
        backgrounds = "() => [...document.images].map((image) => getComputedStyle(image).backgroundImage)"
        assert page.evaluate(backgrounds) == ["none"] * shown, path
    assert problems == []
    context.close()


def rgb(computed):
    """(r, g, b) of a computed colour, "rgb(r, g, b)"."""
    return tuple(int(part) for part in computed[computed.index("(") + 1 : computed.index(")")].split(",")[:3])


def test_without_javascript_each_tile_shows_its_photos_average_colour_until_its_image_arrives(browser, site, make_user):
    owner = make_user("photographer")
    colours = [(200, 40, 40), (40, 160, 60), (30, 60, 200), (230, 220, 120)]
    photos = [
        stored_photo(owner, f"colour {n}.jpg", image_bytes("JPEG", SHAPES[n], color=colour))
        for n, colour in enumerate(colours)
    ]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route("**/*.webp*", lambda route: route.abort())  # the images never arrive: the placeholder stays

    page.goto(f"{site}/")
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("#photo-grid .tile")].map(
        (tile) => [tile.dataset.photoId, getComputedStyle(tile.querySelector("img")).backgroundColor]))""")

    assert len(shown) == len(photos)
    for photo, colour in zip(photos, colours, strict=True):
        # The stored average colour, to the 18 of 255 its class rounds a channel by (gallery.tile_colours).
        assert near(rgb(shown[str(photo.pk)]), colour, 18 + 6), (photo.average_colour, shown[str(photo.pk)])
    context.close()


def test_the_upload_pages_drop_zone_does_not_move_or_grow_when_its_script_starts(browser, site, make_user):
    make_user("photographer")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    test_browser.log_in(page, site, "photographer")
    page.add_init_script(SUM_LAYOUT_SHIFTS)

    held = []  # the script's request, answered once the page has been painted without it (a slow network)
    # upload.js alone (its name hashed or not): the modules it imports, upload-check.js among them, come after it.
    page.route(lambda url: url.rsplit("/", 1)[-1].split(".")[0] == "upload", lambda route: held.append(route))
    page.goto(f"{site}/upload/", wait_until="commit")
    page.wait_for_selector("#id_visibility", state="attached")
    page.evaluate("() => new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))")
    before = page.locator("#dropzone").bounding_box()
    assert held and not page.locator("#upload-form.js-upload").count()
    for route in held:
        route.continue_()
    page.wait_for_selector("#upload-form.js-upload")
    page.wait_for_timeout(200)  # a shift is reported in the frame after it

    assert page.evaluate("window.layoutShift") < 0.001
    assert page.locator("#dropzone").bounding_box() == before
    context.close()


@pytest.mark.parametrize("screen", [screen for name, screen in SCREENS], ids=[name for name, screen in SCREENS])
def test_no_tile_loads_a_larger_rendition_than_it_is_shown_at(browser, site, make_user, screen):
    owner = make_user("photographer")
    for n, size in enumerate(SHAPES * 2):
        stored_photo(owner, f"shape {n}.jpg", image_bytes("JPEG", size, color=(12 * n, 90, 160)))
    context = browser.new_context(**screen)
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: ".webp" in request.url and fetched.append(request.url))

    page.goto(f"{site}/")
    page.wait_for_function(ALL_SHOWN)
    tiles = page.evaluate(TILES)

    assert len(tiles) == len(SHAPES) * 2
    for tile in tiles:
        # At 1x the 400 px thumbnail where it covers the tile, not the grid size; on a phone at 3x the grid size
        # where it covers the tile, not the display size: never a rendition larger than the smallest that covers.
        (chosen,) = (candidate for candidate in tile["candidates"] if candidate["url"] == tile["chosen"])
        (ideal,) = (candidate for candidate in tile["candidates"] if candidate["url"] == ideal_url(tile))
        assert chosen["width"] <= ideal["width"], tile
    assert sorted(fetched) == sorted(tile["chosen"] for tile in tiles), "one image per tile"
    context.close()
