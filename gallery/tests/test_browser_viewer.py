"""The photo viewer (static/gallery/viewer.js) in Chromium: a grid's tile opens its photo over the grid, paged with
the keyboard, the buttons and a swipe, the URL following it; its details and star are the photo page's, under the
same access rules; Escape and Back return to the grid as it was left."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from gallery.models import Photo
from gallery.tests import test_browser
from gallery.tests.support import image_bytes, stored_photo
from gallery.tests.test_browser import log_in, shown_image

# test_browser.py's fixtures: Debian's Chromium, the live server, the page's problems.
browser_type_launch_args = test_browser.browser_type_launch_args
site = test_browser.site
problems = test_browser.problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
SHAPES = [(1200, 800), (800, 1200), (1000, 1000), (1600, 900), (900, 1600)]


def photos_of(owner, count, **fields):
    """`count` photos of `owner` in several shapes, titled "photo 0"...; the gallery lists them newest first."""
    return [
        stored_photo(
            owner, f"photo {n}.jpg", image_bytes("JPEG", SHAPES[n % len(SHAPES)], color=(9 * n, 90, 160)), **fields
        )
        for n in range(count)
    ]


def tile_links(page):
    return page.locator("#photo-grid .tile__link")


def viewer(page):
    return page.locator("dialog.viewer")


def expect_showing(page, url, position, title):
    """The viewer is open on the photo whose page is `url`, announced as the position-th of the grid's tiles."""
    dialog = viewer(page)
    expect(dialog).to_be_visible()
    expect(page).to_have_url(url)
    expect(dialog.get_by_role("status")).to_have_text(re.compile(rf"^Photo {position} of \d+: {title}$"))
    expect(page.get_by_role("dialog", name=title)).to_be_visible()
    image = dialog.locator(".viewer__image")
    expect(image).to_have_attribute("srcset", re.compile(r"\.display\.webp|/display"))  # the page's own image
    return shown_image(image)


def grid_tiles(page, count):
    """The grid's tiles once there are `count` of them: (href, title) pairs in the grid's order."""
    links = tile_links(page)
    expect(links).to_have_count(count)
    return [(link.get_attribute("href"), link.locator(".tile__title").inner_text()) for link in links.all()]


def test_the_owner_pages_through_the_gallery_with_the_keyboard_and_stars_a_photo(page, site, problems, make_user):
    owner = make_user("photographer")
    photos = photos_of(owner, 4)
    # The date taken puts it last, the oldest.
    Photo.objects.filter(pk=photos[1].pk).update(
        camera_make="Phonemaker", camera_model="Phone 12", taken_at=datetime.datetime(2024, 7, 14, 18, 30, 5)
    )
    log_in(page, site, "photographer")
    page.goto(f"{site}/")
    tiles = grid_tiles(page, 4)
    assert tiles[-1] == (photos[1].get_absolute_url(), "photo 1")

    tile_links(page).nth(1).click()
    first_image = expect_showing(page, f"{site}{tiles[1][0]}", 2, tiles[1][1])
    page.keyboard.press("ArrowRight")
    second_image = expect_showing(page, f"{site}{tiles[2][0]}", 3, tiles[2][1])
    assert first_image != second_image
    page.keyboard.press("ArrowRight")
    expect_showing(page, f"{site}{tiles[3][0]}", 4, "photo 1")
    dialog = viewer(page)
    expect(dialog.get_by_role("button", name="Next photo")).to_be_disabled()
    page.keyboard.press("ArrowRight")  # nothing after the page's last tile
    expect(page).to_have_url(f"{site}{tiles[3][0]}")
    # Its details, as its page shows them.
    expect(dialog.locator(".facts")).to_contain_text("Phonemaker Phone 12")
    expect(dialog.locator(".facts")).to_contain_text("14 July 2024, 18:30")

    star = dialog.get_by_role("button", name="Favourite")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    assert Photo.objects.get(pk=photos[1].pk).favorite
    star.click()
    expect(star).to_have_attribute("aria-pressed", "false")
    assert not Photo.objects.get(pk=photos[1].pk).favorite

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect_showing(page, f"{site}{tiles[1][0]}", 2, tiles[1][1])
    expect(dialog.get_by_role("button", name="Favourite")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(f"{site}/")
    expect(tile_links(page).nth(1)).to_be_focused()
    assert problems == []
