"""Selecting photos in Chromium (select.js): click, Shift-click and the keyboard, a selection across pages, and the
bulk actions through the API changing the page in place; without JavaScript the toolbar's plain form."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from gallery.models import Photo
from gallery.tests import test_browser
from gallery.tests.support import album_of, image_bytes, stored_photo

# test_browser.py's fixtures: Debian's Chromium, the live server.
browser_type_launch_args = test_browser.browser_type_launch_args
site = test_browser.site
problems = test_browser.problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WCAG_A_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def photos(make_user):
    """Six photos of "chooser", newest last (the grid shows p5 first)."""
    owner = make_user("chooser")
    return [stored_photo(owner, f"p{n}.jpg", image_bytes("JPEG", (120, 80), color=(40 * n, 90, 160))) for n in range(6)]


def box(page, n):
    return page.get_by_label(f"Select p{n}", exact=True)


def tile(page, photo):
    return page.locator(f'.tile[data-photo-id="{photo.pk}"]')


def checked(page):
    labels = "boxes => boxes.map((box) => box.getAttribute('aria-label'))"
    return page.eval_on_selector_all(".tile__check:checked", labels)


def in_trash(photos):
    return [Photo.all_objects.get(pk=photo.pk).trashed_at is not None for photo in photos]


def test_click_shift_click_keyboard_and_selection_mode(page, site, problems, photos):
    test_browser.log_in(page, site, "chooser")
    count = page.locator("#selection-count")

    box(page, 5).click()
    box(page, 2).click(modifiers=["Shift"])
    expect(count).to_have_text("4 photos selected")
    assert checked(page) == ["Select p5", "Select p4", "Select p3", "Select p2"]
    expect(tile(page, photos[3])).to_have_class(re.compile("tile--selected"))
    page.keyboard.press("Escape")
    expect(count).to_have_text("Tick photos to act on them.")

    # The keyboard: Space ticks the focused box, Shift+Space ticks the range from the last one.
    box(page, 4).focus()
    page.keyboard.press("Space")
    box(page, 1).focus()
    page.keyboard.press("Shift+Space")
    expect(count).to_have_text("4 photos selected")
    assert checked(page) == ["Select p4", "Select p3", "Select p2", "Select p1"]

    # In selection mode a click on a tile toggles it instead of opening the photo.
    page.evaluate("() => document.addEventListener('click', (e) => { window.leftAlone = e.defaultPrevented; })")
    tile(page, photos[0]).locator(".tile__link").click()
    assert page.evaluate("window.leftAlone"), "what viewer.js sees on document"
    tile(page, photos[4]).locator(".tile__link").click()
    expect(count).to_have_text("4 photos selected")
    assert checked(page) == ["Select p3", "Select p2", "Select p1", "Select p0"]
    tile(page, photos[5]).locator(".tile__link").click(modifiers=["Shift"])
    expect(count).to_have_text("6 photos selected")
    expect(page).to_have_url(f"{site}/")

    # While the viewer's dialog is open, Escape is the viewer's.
    page.evaluate("() => { const d = document.createElement('dialog'); document.body.append(d); d.show(); }")
    page.keyboard.press("Escape")
    expect(count).to_have_text("6 photos selected")
    page.evaluate("() => document.querySelector('dialog').remove()")
    assert page.eval_on_selector("#selection", "bar => getComputedStyle(bar).position") == "sticky"
    page.get_by_role("button", name="Clear").click()
    expect(count).to_have_text("Tick photos to act on them.")
    tile(page, photos[0]).locator(".tile__link").click()
    expect(page).to_have_url(f"{site}/photos/{photos[0].pk}/")  # out of selection mode a tile opens its photo
    assert problems == []


def test_favourite_then_trash_a_selection_in_place_and_undo(page, site, problems, photos):
    test_browser.log_in(page, site, "chooser")
    status = page.locator("#selection-status")

    box(page, 1).check()
    box(page, 3).check()
    page.get_by_role("button", name="Favourite", exact=True).click()

    expect(status).to_have_text("Added 2 photos to your favourites.")
    expect(page.locator(".tile__star")).to_have_count(2)
    expect(tile(page, photos[1]).get_by_role("img", name="Favourite")).to_be_visible()
    assert set(Photo.objects.filter(favorite=True).values_list("pk", flat=True)) == {photos[1].pk, photos[3].pk}
    expect(page.locator("#selection-count")).to_have_text("Tick photos to act on them.")

    box(page, 3).check()
    page.get_by_role("button", name="Unfavourite").click()
    expect(status).to_have_text("Unstarred 1 photo.")
    expect(page.locator(".tile__star")).to_have_count(1)
    assert list(Photo.objects.filter(favorite=True).values_list("pk", flat=True)) == [photos[1].pk]

    for n in (0, 2, 4):
        box(page, n).check()
    page.get_by_role("button", name="Move to trash").click()

    expect(status).to_have_text("Moved 3 photos to the trash. Undo")
    expect(page.locator(".grid .tile")).to_have_count(3)
    assert in_trash(photos) == [True, False, True, False, True, False]
    page.get_by_role("button", name="Undo").click()
    expect(status).to_have_text("Restored 3 photos.")
    assert [t.get_attribute("data-photo-id") for t in page.locator(".grid .tile").all()] == [
        str(p.pk) for p in reversed(photos)
    ], "each tile back in its place"
    assert in_trash(photos) == [False] * 6
    page.reload()
    expect(page.locator(".tile__star")).to_have_count(1)
    assert problems == []


def test_unstarred_photos_leave_the_favourites(page, site, problems, photos):
    Photo.objects.filter(pk__in=[photos[1].pk, photos[2].pk]).update(favorite=True)
    test_browser.log_in(page, site, "chooser")
    page.goto(f"{site}/favourites/")

    box(page, 2).check()
    page.get_by_role("button", name="Unfavourite").click()

    expect(page.locator("#selection-status")).to_have_text("Unstarred 1 photo.")
    expect(page.locator(".grid .tile")).to_have_count(1)
    expect(tile(page, photos[1]).get_by_role("img", name="Favourite")).to_be_visible()
    assert list(Photo.objects.filter(favorite=True).values_list("pk", flat=True)) == [photos[1].pk]
    assert problems == []


def test_an_albums_grid_stars_and_trashes_too(page, site, problems, photos):
    album = album_of(photos[0].owner, photos[:3], title="Three")
    test_browser.log_in(page, site, "chooser")
    page.goto(f"{site}/albums/{album.pk}/")

    box(page, 0).check()
    box(page, 2).click(modifiers=["Shift"])
    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.locator(".tile__star")).to_have_count(3)
    box(page, 1).check()
    page.get_by_role("button", name="Move to trash").click()

    expect(page.locator("#selection-status")).to_have_text("Moved 1 photo to the trash. Undo")
    expect(page.locator(".grid .tile")).to_have_count(2)
    assert in_trash(photos[:3]) == [False, True, False]
    assert Photo.all_objects.filter(favorite=True).count() == 3
    # The arrows name the neighbours left: p0's "later" now puts it in p2's place.
    page.get_by_role("button", name="Move p0 later").click()
    expect(page.locator(".grid .tile").first).to_have_attribute("data-photo-id", str(photos[2].pk))
    expect(page.locator(".grid .tile").last).to_have_attribute("data-photo-id", str(photos[0].pk))
    expect(page.locator(".grid .tile")).to_have_count(2)
    assert problems == []


def test_a_selection_across_pages_is_kept_and_acted_on_at_once(page, site, problems, photos):
    album = album_of(photos[0].owner, title="Chosen")
    test_browser.log_in(page, site, "chooser")
    page.goto(f"{site}/?limit=2")
    count = page.locator("#selection-count")

    def tick_p5_then_p2_on_the_next_page():
        expect(box(page, 5)).not_to_be_checked()
        box(page, 5).check()
        page.get_by_role("link", name="Older").click()
        box(page, 2).check()
        expect(count).to_have_text("2 photos selected, 1 on another page")

    tick_p5_then_p2_on_the_next_page()
    page.go_back()  # the browser's Back too, from its back-forward cache or not
    expect(box(page, 5)).to_be_checked()
    expect(count).to_have_text("2 photos selected, 1 on another page")
    page.go_forward()
    page.keyboard.press("Escape")
    page.go_back()
    expect(count).to_have_text("Tick photos to act on them.")
    tick_p5_then_p2_on_the_next_page()
    page.get_by_role("link", name="Newer").click()
    expect(count).to_have_text("2 photos selected, 1 on another page")
    # Back from the back-forward cache (which Playwright's Chromium turns off) after another page cleared it.
    page.evaluate("""() => {
        sessionStorage.clear();
        window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
    }""")
    expect(count).to_have_text("Tick photos to act on them.")
    tick_p5_then_p2_on_the_next_page()
    page.get_by_role("link", name="Newer").click()

    # A plain post (an album action) sends the photos ticked on the other page too, then the selection is done.
    page.get_by_role("button", name="Add to album").click()
    expect(page.get_by_text("Added 2 photos to “Chosen”.")).to_be_visible()
    assert set(album.photos.values_list("pk", flat=True)) == {photos[5].pk, photos[2].pk}
    expect(count).to_have_text("Tick photos to act on them.")

    box(page, 4).check()
    page.get_by_role("link", name="Older").click()
    box(page, 3).check()
    box(page, 2).check()
    expect(count).to_have_text("3 photos selected, 1 on another page")
    page.get_by_role("button", name="Move to trash").click()
    expect(page.locator("#selection-status")).to_have_text("Moved 3 photos to the trash. Undo")
    assert in_trash(photos) == [False, False, True, True, True, False]
    expect(page.locator(".grid .tile")).to_have_count(0)
    page.get_by_role("link", name="Newer").click()
    expect(count).to_have_text("Tick photos to act on them.")
    assert problems == []


def test_a_refusal_is_shown_in_the_toolbar_and_nothing_changes(page, site, photos, make_staff):
    make_staff("moderator", "change_photo")
    page_problems = test_browser.watch(page)
    test_browser.log_in(page, site, "moderator")

    box(page, 5).check()
    box(page, 4).check()
    page.get_by_role("button", name="Move to trash").click()

    status = page.locator("#selection-status")
    expect(status).to_contain_text("staff allowed to delete photos")
    expect(status).to_contain_text("2 photos refused; nothing was changed.")
    expect(status).to_have_class(re.compile("selection__status--error"))
    expect(tile(page, photos[5])).to_have_class(re.compile("tile--refused"))
    expect(page.locator(".grid .tile")).to_have_count(6)
    expect(page.locator("#selection-count")).to_have_text("2 photos selected")  # kept, to try something else
    assert in_trash(photos) == [False] * 6

    # A request that never arrives is said too.
    page.route("**/api/photos/favorite", lambda route: route.abort())
    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(status).to_have_text("The site could not be reached; try again.")
    expect(page.get_by_role("button", name="Favourite", exact=True)).to_be_enabled()
    assert not Photo.objects.filter(favorite=True).exists()
    assert [p for p in page_problems if not p.startswith("console: Failed to load resource")] == [
        f"403 {site}/api/photos/trash",
        f"failed: {site}/api/photos/favorite net::ERR_FAILED",
    ]


def test_without_javascript_the_plain_form_moves_a_selection_to_the_trash(browser, site, photos):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    problems = test_browser.watch(page)
    test_browser.log_in(page, site, "chooser")

    box(page, 1).check()
    box(page, 4).check()
    page.get_by_role("button", name="Move to trash").click()

    expect(page.get_by_text("Moved 2 photos to the trash.")).to_be_visible()
    expect(page.locator(".grid .tile")).to_have_count(4)
    assert in_trash(photos) == [False, True, False, False, True, False]
    box(page, 0).check()
    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.get_by_text("Added 1 photo to your favourites.")).to_be_visible()
    assert list(Photo.objects.filter(favorite=True).values_list("pk", flat=True)) == [photos[0].pk]
    assert problems == []
    context.close()


def axe_violations(page):
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now: the rule and the elements."""
    results = Axe().run(page, options=WCAG_A_AA).response
    return [(rule["id"], [node["target"] for node in rule["nodes"]]) for rule in results["violations"]]


@pytest.mark.parametrize("width", test_browser.WIDTHS.values(), ids=test_browser.WIDTHS.keys())
def test_axe_finds_nothing_on_a_grid_in_selection_mode(browser, site, photos, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = test_browser.watch(page)
    test_browser.log_in(page, site, "chooser")
    assert axe_violations(page) == [], "before any selection"
    position = "() => getComputedStyle(document.getElementById('selection')).position"
    assert page.evaluate(position) == ("static" if width < 600 else "sticky"), "on a phone, once something is ticked"

    box(page, 1).check()
    box(page, 2).check()
    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.locator(".tile__star")).to_have_count(2)
    box(page, 3).check()
    box(page, 4).check()
    page.get_by_role("button", name="Move to trash").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    box(page, 5).check()

    assert page.evaluate(position) == "sticky"
    assert axe_violations(page) == [], "stars, a selection, the status and its Undo"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing sticks out sideways"
    test_browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=test_browser.SCREENSHOTS / f"selection-{width}.png")
    page.goto(f"{site}/favourites/")
    assert axe_violations(page) == [], "the favourites' grid"
    assert problems == []
    context.close()
