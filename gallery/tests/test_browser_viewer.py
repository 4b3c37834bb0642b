"""The photo viewer (static/gallery/viewer.js) in Chromium: a grid's tile opens its photo over the grid, paged with
the keyboard, the buttons and a swipe, the URL following it; its details and star are the photo page's, under the
same access rules; Escape and Back return to the grid as it was left."""

import datetime
import re
from pathlib import PurePosixPath

import pytest
from django.conf import settings
from playwright.sync_api import expect

from gallery.models import Photo
from gallery.shares.models import ShareLink
from gallery.tests import test_browser
from gallery.tests.support import album_of, image_bytes, stored_photo
from gallery.tests.test_browser import log_in, shown_image, watch

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


# Whether each (page URL, key stem) has been fetched: the page and an image of the photo other than its thumbnail.
FETCHED = """(photos) => {
    const names = performance.getEntriesByType("resource").map((entry) => entry.name);
    return photos.every(([page, stem]) => names.includes(page)
        && names.some((name) => name.includes(stem) && !name.includes(".thumbnail.")));
}"""


def page_and_stem(site, href):
    """A tile's photo page and its key's stem (in its renditions' URLs)."""
    photo = Photo.objects.get(pk=int(href.rstrip("/").rsplit("/", 1)[1]))
    return [f"{site}{href}", PurePosixPath(photo.image.name).stem]


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
    # Its neighbours' pages and images are fetched before they are asked for.
    page.wait_for_function(FETCHED, arg=[page_and_stem(site, tiles[0][0]), page_and_stem(site, tiles[2][0])])
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


SMALL_SHAPES = [(240, 160), (160, 240), (200, 200), (320, 180), (180, 320)]


def test_escape_and_back_return_to_the_grid_where_it_was_left(page, site, problems, make_user):
    owner = make_user("photographer")
    for n in range(30):
        stored_photo(owner, f"photo {n}.jpg", image_bytes("JPEG", SMALL_SHAPES[n % 5], color=(8 * n, 90, 160)))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{site}/")
    tiles = grid_tiles(page, 30)
    links = tile_links(page)
    links.nth(20).scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    # From the keyboard: Enter on the tile's link. An anonymous visitor gets no star.
    links.nth(20).focus()
    page.keyboard.press("Enter")
    expect_showing(page, f"{site}{tiles[20][0]}", 21, tiles[20][1])
    expect(viewer(page).get_by_role("button", name="Favourite")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(viewer(page)).to_be_hidden()
    expect(page).to_have_url(f"{site}/")
    expect(links.nth(20)).to_be_focused()
    assert page.evaluate("window.scrollY") == scrolled

    # Back closes it, the focus on the tile of the photo shown last; Forward opens it again.
    links.nth(20).click()
    page.get_by_role("button", name="Next photo").click()
    expect_showing(page, f"{site}{tiles[21][0]}", 22, tiles[21][1])
    page.go_back()
    expect(viewer(page)).to_be_hidden()
    expect(page).to_have_url(f"{site}/")
    expect(links.nth(21)).to_be_focused()
    assert page.evaluate("window.scrollY") == scrolled
    page.go_forward()
    expect_showing(page, f"{site}{tiles[21][0]}", 22, tiles[21][1])
    page.get_by_role("button", name="Close the viewer").click()
    expect(viewer(page)).to_be_hidden()
    expect(page).to_have_url(f"{site}/")

    # Reloading shows the photo's page, the way without JavaScript.
    links.nth(3).click()
    expect_showing(page, f"{site}{tiles[3][0]}", 4, tiles[3][1])
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(tiles[3][1])
    expect(viewer(page)).to_have_count(0)
    assert problems == []


def swipe(page, from_x, to_x, y):
    """A finger's swipe across the screen, as Chromium's touch input (pointer events of type touch) has it."""
    cdp = page.context.new_cdp_session(page)
    for n in range(6):
        kind = "touchStart" if n == 0 else "touchMove"
        point = {"x": from_x + (to_x - from_x) * n / 5, "y": y}
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_swipe_pages_on_a_phone_and_another_user_gets_no_star(browser, site, make_user):
    owner = make_user("photographer")
    make_user("neighbour")
    photos_of(owner, 3)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems = watch(page)
    log_in(page, site, "neighbour")
    page.goto(f"{site}/")
    tiles = grid_tiles(page, 3)

    tile_links(page).first.tap()
    expect_showing(page, f"{site}{tiles[0][0]}", 1, tiles[0][1])
    expect(viewer(page).get_by_role("button", name="Favourite")).to_have_count(0)
    swipe(page, 300, 60, 300)  # to the left: the next photo
    expect_showing(page, f"{site}{tiles[1][0]}", 2, tiles[1][1])
    swipe(page, 300, 60, 300)
    expect_showing(page, f"{site}{tiles[2][0]}", 3, tiles[2][1])
    swipe(page, 60, 300, 300)  # to the right: the previous one
    expect_showing(page, f"{site}{tiles[1][0]}", 2, tiles[1][1])
    swipe(page, 200, 190, 300)  # too short to be a swipe
    page.wait_for_timeout(300)
    expect(page).to_have_url(f"{site}{tiles[1][0]}")
    assert problems == []
    context.close()


def test_a_share_links_private_photos_open_through_its_own_urls_with_no_star(browser, site, make_user):
    owner = make_user("photographer")
    photos = photos_of(owner, 3, visibility="private")
    link = ShareLink.objects.create(album=album_of(owner, photos, "private"), created_by=owner)
    shared = f"{site}{link.get_absolute_url()}"
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(shared)
    tiles = grid_tiles(page, 3)
    assert all(href.startswith(link.get_absolute_url()) for href, _ in tiles)

    tile_links(page).first.click()
    image = expect_showing(page, f"{site}{tiles[0][0]}", 1, tiles[0][1])
    assert image.startswith(f"{shared}photos/"), "through the link, which redirected to a pre-signed URL"
    expect(viewer(page).get_by_role("button", name="Favourite")).to_have_count(0)
    page.keyboard.press("ArrowRight")
    expect_showing(page, f"{site}{tiles[1][0]}", 2, tiles[1][1])
    page.keyboard.press("Escape")
    expect(page).to_have_url(shared)
    # Never the photos' own pages, which the visitor may not see.
    assert not [url for url in requested if url.startswith(f"{site}/photos/")]
    assert problems == []
    context.close()


def test_next_past_the_pages_last_tile_puts_the_next_pages_tiles_on_the_grid(page, site, problems, make_user):
    owner = make_user("photographer")
    photos_of(owner, 5)
    page.goto(f"{site}/?limit=3")
    first_page = grid_tiles(page, 3)
    page.get_by_role("link", name="Older →").click()
    second_page = grid_tiles(page, 2)
    page.goto(f"{site}/?limit=3")

    tile_links(page).nth(2).click()
    expect_showing(page, f"{site}{first_page[2][0]}", 3, first_page[2][1])
    page.keyboard.press("ArrowRight")
    expect_showing(page, f"{site}{second_page[0][0]}", 4, second_page[0][1])
    expect(tile_links(page)).to_have_count(5)
    page.keyboard.press("ArrowRight")
    expect_showing(page, f"{site}{second_page[1][0]}", 5, second_page[1][1])
    expect(viewer(page).get_by_role("button", name="Next photo")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{site}/?limit=3")
    # The grid has both pages, under one month heading, and the pager no next page.
    assert grid_tiles(page, 5) == first_page + second_page
    expect(page.locator(".grid__month")).to_have_count(1)
    expect(page.get_by_role("link", name="Older →")).to_have_count(0)
    expect(tile_links(page).nth(4)).to_be_focused()
    assert problems == []


def test_the_tiles_the_viewer_appends_get_placeholders_and_drag_in_an_album(page, site, problems, make_user):
    owner = make_user("arranger")
    photos = photos_of(owner, 5)
    album = album_of(owner, photos, cover=photos[0])  # not one of those whose images are held back
    assert all(photo.thumbhash for photo in photos)
    log_in(page, site, "arranger")
    held = []
    later = {PurePosixPath(photo.image.name).stem for photo in photos[3:]}  # the album's second page at 3 a page

    def hold_the_second_pages_images(route):
        if any(stem in route.request.url for stem in later):
            held.append(route)
        else:
            route.continue_()

    page.route(f"{settings.AWS_S3_ENDPOINT_URL}/**", hold_the_second_pages_images)
    page.goto(f"{site}/albums/{album.pk}/?limit=3")
    tile_links(page).nth(2).click()
    page.keyboard.press("ArrowRight")
    expect(tile_links(page)).to_have_count(5)
    page.keyboard.press("Escape")
    # Its image held back, an appended tile shows its ThumbHash.
    appended = page.locator("#photo-grid .tile img").nth(4)
    expect(appended).to_have_attribute("style", re.compile(r"background-image: url\(\"?data:image/png"))
    for route in held:
        route.continue_()
    page.unroute_all()
    expect(appended).not_to_have_attribute("style", re.compile("background-image"))

    tiles = page.locator("#photo-grid .tile")
    tiles.nth(4).drag_to(tiles.nth(0))  # the last appended tile, to the first place
    expect(tiles.first).to_have_attribute("data-photo-id", str(photos[4].pk))
    assert album.entries.order_by("position").values_list("photo_id", flat=True)[0] == photos[4].pk
    assert problems == []


def test_staff_allowed_to_change_photos_star_others_photos(page, site, problems, make_user, make_staff):
    owner = make_user("photographer")
    make_staff("editor", "change_photo")
    (photo,) = photos_of(owner, 1)
    log_in(page, site, "editor")
    page.goto(f"{site}/")
    tile_links(page).first.click()
    star = viewer(page).get_by_role("button", name="Favourite")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    assert Photo.objects.get(pk=photo.pk).favorite
    assert problems == []


def test_a_click_another_script_has_taken_opens_no_viewer(page, site, problems, make_user):
    photos_of(make_user("photographer"), 2)
    page.goto(f"{site}/")
    # As select.js does in selection mode: it takes the click on the grid, before it reaches document.
    page.evaluate("document.getElementById('photo-grid').addEventListener('click', (event) => event.preventDefault())")
    tile_links(page).first.click()
    page.wait_for_timeout(300)
    expect(page).to_have_url(f"{site}/")
    expect(viewer(page)).to_have_count(0)
    assert problems == []
