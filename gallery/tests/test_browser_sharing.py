"""Albums and share links in Chromium: select photos in the gallery, put them in an album, arrange it, share it with
a password, open the link as a stranger, then revoke it."""

import re

import pytest
from playwright.sync_api import expect

from gallery.albums.models import Album
from gallery.tests import test_browser
from gallery.tests.support import image_bytes, stored_photo
from gallery.tests.test_browser import SCREENSHOTS, log_in, shown_image, watch

# test_browser.py's fixtures: Debian's Chromium, the live server, the page's problems.
browser_type_launch_args = test_browser.browser_type_launch_args
site = test_browser.site
problems = test_browser.problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LINK_PASSWORD = "a secret for grandma"


def test_select_three_photos_into_an_album_share_it_with_a_password_and_revoke_it(
    page, site, problems, browser, make_user
):
    owner = make_user("sharer")
    colours = [(200, 60, 60), (60, 160, 60), (60, 60, 200), (200, 200, 60)]
    photos = [
        stored_photo(owner, f"{name}.jpg", image_bytes(size=(300, 200), color=colour), visibility="private")
        for name, colour in zip(("red", "green", "blue", "yellow"), colours, strict=True)
    ]
    log_in(page, site, "sharer")

    page.get_by_role("link", name="Albums").click()
    page.get_by_role("link", name="New album").click()
    page.get_by_label("Title").fill("Holiday")
    page.get_by_role("button", name="Create album").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Holiday")

    page.goto(site)
    page.get_by_label("Select red").check()
    page.get_by_label("Select blue", exact=True).click()
    # From the keyboard too: Tab to a checkbox and press Space.
    page.get_by_label("Select green").focus()
    page.keyboard.press("Space")
    expect(page.locator("#selection-count")).to_have_text("3 photos selected")
    page.get_by_role("button", name="Add to album").click()
    expect(page.get_by_text("Added 3 photos to “Holiday”.")).to_be_visible()

    album = Album.objects.get()
    page.goto(f"{site}/albums/{album.pk}/")
    tiles = page.locator(".grid .tile")
    expect(tiles).to_have_count(3)
    # In the gallery's order, newest first.
    assert [t.get_attribute("data-photo-id") for t in tiles.all()] == [str(p.pk) for p in photos[2::-1]]
    # Dragging the last tile onto the first puts it first.
    tiles.nth(2).drag_to(tiles.nth(0))
    expect(tiles.first).to_have_attribute("data-photo-id", str(photos[0].pk))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "album-1280.png", full_page=True)

    page.get_by_role("link", name="Share…").click()
    page.get_by_label("Label").fill("For grandma")
    page.get_by_label("Password").fill(LINK_PASSWORD)
    page.get_by_role("button", name="Make link").click()
    expect(page.get_by_text("Made a link to “Holiday”")).to_be_visible()
    url = page.get_by_label("Link to Holiday").input_value()
    assert re.fullmatch(rf"{site}/s/[A-Za-z0-9_-]{{43}}/", url)

    stranger_context = browser.new_context()
    stranger = stranger_context.new_page()
    stranger_problems = watch(stranger)
    stranger.goto(url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This link has a password")
    stranger.get_by_label("Password").fill("not it")
    stranger.get_by_role("button", name="Open").click()
    expect(stranger.get_by_text("That is not the password of this link.")).to_be_visible()
    stranger.get_by_label("Password").fill(LINK_PASSWORD)
    stranger.get_by_role("button", name="Open").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Holiday")
    shared_tiles = stranger.locator(".grid .tile")
    expect(shared_tiles).to_have_count(3)
    for tile in shared_tiles.all():
        # Loaded through the link, which redirected to a pre-signed URL of the thumbnail.
        assert re.fullmatch(rf"{url}photos/\d+/thumbnail", shown_image(tile.locator("img")))
    expect(stranger.get_by_role("link", name="Log in")).to_have_count(0)
    stranger.screenshot(path=SCREENSHOTS / "shared-album-1280.png", full_page=True)

    page.get_by_role("button", name="Revoke For grandma").click()
    expect(page.get_by_text("Revoked “For grandma”")).to_be_visible()
    response = stranger.goto(url)
    assert response.status == 404
    expect(stranger.get_by_role("heading", name="There’s nothing here")).to_be_visible()
    assert problems == []
    assert [p for p in stranger_problems if not p.startswith("console: Failed to load resource")] == [f"404 {url}"]
    stranger_context.close()
