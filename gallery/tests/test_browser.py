"""The site in a real browser: Debian's Chromium driven by Playwright, against the live server on PostgreSQL and S3.

Screenshots of the main pages at phone and desktop widths are saved under test-artifacts/screenshots/.
"""

import base64
import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from PIL import Image
from playwright.sync_api import expect

from gallery.models import Photo
from gallery.tests.support import heic_bytes, image_bytes, storages_with, stored_keys, stored_photo, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Playwright's sync API keeps an event loop running in the test thread, which makes Django refuse every ORM
# call there, database setup included; the calls are still synchronous, so the guard can go.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
WIDTHS = {"phone": 375, "desktop": 1440}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browser download cannot be reached from these machines."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-gpu"],
    }


@pytest.fixture
def site(live_server, settings, bucket):
    """The live server's URL; the test's new objects are deleted after it. It serves static files from the source
    folders, so without the manifest's hashes.

    Its upload page posts each file to /api/photos, as with GALLERY_DIRECT_UPLOADS=false (or a bucket that refuses
    the site's origin); test_browser_direct_uploads.py drives direct uploads.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.GALLERY_DIRECT_UPLOADS = False
    return live_server.url


def watch(page):
    """Collect what a visitor would call broken: console errors, script errors, failed or refused requests."""
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # A request the browser itself cancels when the page moves on (net::ERR_ABORTED) has not failed.
    page.on(
        "requestfailed",
        lambda request: (
            request.failure != "net::ERR_ABORTED" and problems.append(f"failed: {request.url} {request.failure}")
        ),
    )
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )
    return problems


@pytest.fixture
def problems(page):
    return watch(page)


def noisy_jpeg(size=(1200, 900)):
    """A JPEG of random pixels: large enough that the browser reports upload progress along the way."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def drop_files(page, files):
    """Drop files on the upload page's drop zone as a drag from the desktop would, with a DataTransfer."""
    payload = [
        {"name": name, "type": kind, "data": base64.b64encode(content).decode()} for name, kind, content in files
    ]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, { type: file.type }));
            }
            return transfer;
        }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#dropzone", event, {"dataTransfer": transfer})


def record_upload_statuses(page):
    """Keep every status text the upload list shows, to prove progress was reported while sending."""
    page.evaluate(
        """() => {
            window.seenStatuses = [];
            new MutationObserver(() => {
                for (const status of document.querySelectorAll('.upload-item__status')) {
                    window.seenStatuses.push(status.textContent);
                }
            }).observe(document.getElementById('upload-list'), { subtree: true, childList: true, characterData: true });
        }"""
    )


def sign_up(page, site, username):
    page.goto(site)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def shown_image(image):
    """The URL an <img> shows, once the browser has loaded and decoded it (it fails if the image is broken)."""
    expect(image).to_have_js_property("complete", True, timeout=20_000)
    assert image.evaluate("(img) => img.naturalWidth") > 0, image.evaluate("(img) => img.currentSrc")
    return image.evaluate("(img) => img.currentSrc")


def server_thumbnail(item):
    """The URL of an upload's preview once the page has put the server's thumbnail there (a worker made it)."""
    image = item.locator(".upload-item__preview img")
    expect(image).to_have_attribute("src", re.compile(r"\.thumbnail\.webp\?"), timeout=30_000)
    return shown_image(image)


def test_sign_up_upload_browse_edit_delete_log_out(page, site, problems, bucket, worker):
    sign_up(page, site, "newcomer")
    expect(page).to_have_url(f"{site}/upload/")
    expect(page.get_by_text("Welcome, newcomer")).to_be_visible()
    expect(page.get_by_text("Signed in as newcomer")).to_be_visible()

    record_upload_statuses(page)
    drop_files(
        page, [("beach.jpg", "image/jpeg", noisy_jpeg()), ("forest.png", "image/png", image_bytes("PNG", (800, 600)))]
    )

    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    expect(items.locator(".upload-item__preview img")).to_have_count(2)
    for item in items.all():
        expect(item.locator(".upload-item__status")).to_contain_text("Uploaded.", timeout=20_000)
        expect(item.locator("progress")).to_have_js_property("value", 100)
    assert any(re.fullmatch(r"Uploading… \d+%", text) for text in page.evaluate("window.seenStatuses"))
    expect(page.locator("#upload-summary")).to_have_text("2 uploaded. See the gallery")
    assert Photo.objects.filter(owner__username="newcomer").count() == 2
    for item in items.all():
        assert ".thumbnail.webp?" in server_thumbnail(item), "the server's thumbnail, once a worker made it"
        expect(item.locator(".upload-item__status")).to_have_text(re.compile(r"^Uploaded\. View “"))
    assert len(stored_keys() - bucket) == 8, "each original and its three renditions"

    page.get_by_role("link", name="See the gallery").click()
    tiles = page.locator(".grid .tile")
    expect(tiles).to_have_count(2)
    assert sorted(tiles.all_inner_texts()) == ["beach", "forest"]
    for tile in tiles.all():
        assert ".thumbnail.webp?" in shown_image(tile.locator("img")), "a desktop screen's tile takes the thumbnail"

    page.get_by_role("link", name="beach", exact=True).click()
    page.get_by_role("dialog").get_by_role("link", name="The photo’s page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("beach")
    expect(page.get_by_text("1200 × 900 pixels")).to_be_visible()
    assert ".display.webp?" in shown_image(page.locator(".photo__figure img"))
    page.get_by_label("Title").fill("Beach at dawn")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beach at dawn")

    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete this photo?")).to_be_visible()
    page.get_by_role("button", name="Move to the trash").click()
    expect(page).to_have_url(f"{site}/")
    expect(page.get_by_text("Moved “Beach at dawn” to the trash.")).to_be_visible()
    expect(page.locator(".grid .tile")).to_have_count(1)
    assert list(Photo.objects.values_list("title", flat=True)) == ["forest"]
    assert len(stored_keys() - bucket) == 8, "the trash keeps its objects"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.locator(".grid .tile")).to_have_count(1)
    page.get_by_role("button", name="Delete forever").click()
    expect(page.get_by_text("Deleted 1 photo forever.")).to_be_visible()
    expect(page.get_by_role("heading", name="The trash is empty")).to_be_visible()
    assert len(stored_keys() - bucket) == 4, "the other photo's original and three renditions"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Upload", exact=True)).to_have_count(0)
    assert problems == []


def test_a_bad_file_shows_the_apis_error_while_a_good_one_uploads(page, site, problems, make_user, bucket, worker):
    make_user("dropper")
    log_in(page, site, "dropper")
    page.goto(f"{site}/upload/")

    drop_files(
        page, [("notes.jpg", "image/jpeg", b"just some text, not a picture"), ("good.jpg", "image/jpeg", image_bytes())]
    )

    bad, good = page.locator(".upload-item").all()
    expect(bad.locator(".upload-item__status")).to_have_text(
        "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged.",
        timeout=20_000,
    )
    expect(bad).to_have_class(re.compile("upload-item--failed"))
    expect(good.locator(".upload-item__status")).to_contain_text("Uploaded.", timeout=20_000)
    expect(page.locator("#upload-summary")).to_have_text("1 uploaded, 1 failed. See the gallery")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "upload-results-1280.png", full_page=True)
    assert list(Photo.objects.values_list("title", flat=True)) == ["good"]
    server_thumbnail(good)
    assert stored_keys() - bucket == set(Photo.objects.get().object_keys())
    # The refused upload is the only request that did not succeed.
    assert [p for p in problems if not p.startswith("console: Failed to load resource")] == [f"400 {site}/api/photos"]


def test_a_heic_from_an_iphone_is_shown_through_its_renditions(page, site, problems, make_user, worker):
    """Chromium cannot show HEIC itself: the local preview gives way to the server's thumbnail."""
    make_user("iphone")
    log_in(page, site, "iphone")
    page.goto(f"{site}/upload/")

    drop_files(page, [("IMG_0001.HEIC", "image/heic", heic_bytes(Image.effect_noise((1200, 900), 60).convert("RGB")))])

    item = page.locator(".upload-item")
    expect(item.locator(".upload-item__status")).to_contain_text("Uploaded.", timeout=20_000)
    assert ".thumbnail.webp?" in server_thumbnail(item)
    photo = Photo.objects.get()
    assert (photo.content_type, photo.title) == ("image/heic", "IMG_0001")
    page.goto(f"{site}/photos/{photo.pk}/")
    assert ".display.webp?" in shown_image(page.locator(".photo__figure img"))
    expect(page.get_by_role("link", name="Open the original")).to_have_attribute("href", re.compile(r"\.heic\?"))
    assert problems == []


def test_without_javascript_the_plain_form_uploads_and_shows_field_errors(browser, site, make_user, bucket, worker):
    make_user("plain")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    problems = watch(page)
    log_in(page, site, "plain")
    page.goto(f"{site}/upload/")

    page.get_by_label("Photo").set_input_files(
        files=[{"name": "not-a-photo.jpg", "mimeType": "image/jpeg", "buffer": b"text"}]
    )
    page.get_by_label("Title").fill("What I typed")
    page.get_by_label("Description").fill("Kept after the error")
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#id_photo_errors")).to_have_text(
        "Upload a valid image: JPEG, PNG, GIF, WebP, HEIC or AVIF. This file is not one, or it is damaged."
    )
    expect(page.get_by_label("Title")).to_have_value("What I typed")
    expect(page.get_by_label("Description")).to_have_value("Kept after the error")
    assert Photo.objects.count() == 0 and stored_keys() == bucket

    page.get_by_label("Photo").set_input_files(
        files=[{"name": "lake.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}]
    )
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_text("Uploaded “What I typed”.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("What I typed")
    photo = wait_until(lambda: Photo.objects.filter(state="ready").first(), "photo processed by the worker")
    assert photo.owner.username == "plain" and photo.description == "Kept after the error"
    assert stored_keys() - bucket == set(photo.object_keys())
    assert problems == []
    context.close()


def test_anonymous_visitor_sees_photos_but_no_controls_and_cannot_upload(page, site, problems, make_user):
    photo = stored_photo(make_user("owner"), "harbour.jpg")

    page.goto(site)
    expect(page.locator(".grid .tile")).to_have_count(1)
    expect(page.get_by_role("link", name="Upload", exact=True)).to_have_count(0)
    page.locator(".grid .tile a").click()
    page.get_by_role("dialog").get_by_role("link", name="The photo’s page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("harbour")
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete…")).to_have_count(0)

    page.goto(f"{site}/accounts/login/")
    status = page.evaluate(
        """async () => {
            const data = new FormData();
            data.append('csrfmiddlewaretoken', document.querySelector('input[name=csrfmiddlewaretoken]').value);
            data.append('photo', new File([new Uint8Array([255, 216, 255])], 'x.jpg', { type: 'image/jpeg' }));
            return (await fetch('/upload/', { method: 'POST', body: data })).status;
        }"""
    )
    assert status == 403
    page.goto(f"{site}/photos/{photo.pk}/delete/")
    expect(page.get_by_role("heading", name="You can’t do that here")).to_be_visible()
    assert Photo.objects.count() == 1
    assert [p for p in problems if not p.startswith("console: Failed to load resource")] == [
        f"403 {site}/upload/",
        f"403 {site}/photos/{photo.pk}/delete/",
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_screenshots_of_the_main_pages(browser, site, make_user, width):
    user = make_user("photographer")
    colours = [(38, 70, 83), (42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81), (90, 60, 120)]
    photos = [
        stored_photo(
            user,
            f"Photo number {index + 1}.jpg",
            image_bytes("JPEG", (1200, 800) if index % 2 else (800, 1000), color=colour),
        )
        for index, colour in enumerate(colours)
    ]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = watch(page)
    log_in(page, site, "photographer")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for name, path in [("gallery", "/"), ("photo", photos[0].get_absolute_url()), ("upload", "/upload/")]:
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        # Nothing sticks out sideways: the page is no wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}px"
        assert unlabelled_inputs(page) == [], name

    # The drop zone is reached from the keyboard, and shows that it has the focus.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_photo":
            break
    assert page.evaluate("document.activeElement.id") == "id_photo", "Tab never reaches the drop zone"
    assert page.eval_on_selector("#dropzone", "zone => getComputedStyle(zone).outlineStyle") == "solid"
    assert problems == []
    context.close()


def unlabelled_inputs(page):
    """The visible form controls that have neither a label nor an aria-label."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter((control) => !control.labels.length && !control.getAttribute('aria-label'))
            .map((control) => control.outerHTML)"""
    )


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_account_pages_label_every_input(page, site, problems, path):
    page.goto(f"{site}{path}")

    assert unlabelled_inputs(page) == []
    assert problems == []


def test_a_storage_outage_is_shown_beside_each_file(page, site, problems, make_user, bucket):
    make_user("unlucky")
    log_in(page, site, "unlucky")
    page.goto(f"{site}/upload/")

    # The live server shares these settings: S3 now refuses its credentials, as if it were down.
    with override_settings(STORAGES=storages_with(secret_key="wrong")):
        drop_files(page, [("storm.jpg", "image/jpeg", image_bytes())])
        expect(page.locator(".upload-item__status")).to_have_text(
            "The photo storage is unavailable; try again later.", timeout=30_000
        )

    assert not Photo.objects.exists() and stored_keys() == bucket
    assert [p for p in problems if not p.startswith("console: Failed to load resource")] == [f"503 {site}/api/photos"]


def test_files_already_in_the_library_are_recognised_without_being_sent(page, site, problems, make_user, bucket):
    make_user("collector")
    log_in(page, site, "collector")
    page.goto(f"{site}/upload/")
    known, new = image_bytes("PNG", (120, 90)), image_bytes("PNG", (90, 120))
    drop_files(page, [("first.png", "image/png", known)])
    expect(page.locator(".upload-item__status")).to_contain_text("Uploaded.", timeout=20_000)
    photo = Photo.objects.get(owner__username="collector")
    sent = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))

    page.reload()
    drop_files(page, [("copy of first.png", "image/png", known), ("second.png", "image/png", new)])

    statuses = page.locator(".upload-item__status")
    expect(statuses.nth(0)).to_have_text("Already in your library. View it", timeout=20_000)
    expect(statuses.nth(1)).to_contain_text("Uploaded.", timeout=20_000)
    expect(page.locator("#upload-summary")).to_have_text("1 uploaded, 1 already in your library. See the gallery")
    assert page.get_by_role("link", name="View it").get_attribute("href") == f"/photos/{photo.pk}/"
    assert sent == [f"{site}/api/photos/check", f"{site}/api/photos"], "the known file was never sent"
    assert Photo.objects.filter(owner__username="collector").count() == 2
    assert problems == []
