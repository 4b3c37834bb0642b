"""Direct uploads in Chromium: files dropped on the upload page go straight to the bucket (configured by
configure_bucket for the live server's origin), in parts, and resume after the network was cut and the page reloaded."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from gallery.direct_uploads import s3
from gallery.direct_uploads.models import UploadSession
from gallery.direct_uploads.sessions import MIN_PART_SIZE
from gallery.models import Photo
from gallery.tests import test_browser
from gallery.tests.support.corpus import noise_png
from gallery.tests.support.direct_uploads import MB, incoming
from gallery.tests.support.images import image_bytes
from gallery.tests.support.storage import stored_keys
from gallery.tests.test_browser import SCREENSHOTS, log_in, noisy_jpeg, server_thumbnail
from gallery.tests.test_direct_upload_bucket import bucket_rules_restored  # noqa: F401 (an autouse fixture)

# test_browser.py's fixtures: Debian's Chromium, the page's problems.
browser_type_launch_args = test_browser.browser_type_launch_args
problems = test_browser.problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LARGE = 42 * MB


@pytest.fixture
def site(live_server, settings):
    """The live server, whose origin the bucket's CORS rule lets upload (as make run sets it for its own)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.GALLERY_DIRECT_UPLOADS = True
    call_command("configure_bucket", f"--origin={live_server.url}", verbosity=0)
    return live_server.url


def drop_paths(page, paths):
    """Drop files from disk on the drop zone, as a drag from the desktop would: each File keeps its name, size and
    modification time, so dropping the same file again is recognised."""
    page.evaluate(
        """() => {
            const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true });
            Object.assign(input, { id: 'files-from-disk', hidden: true });
            document.body.append(input);
        }"""
    )
    page.set_input_files("#files-from-disk", [str(path) for path in paths])
    page.evaluate(
        """() => {
            const input = document.getElementById('files-from-disk');
            const transfer = new DataTransfer();
            for (const file of input.files) transfer.items.add(file);
            input.remove();
            const zone = document.getElementById('dropzone');
            for (const type of ['dragenter', 'dragover', 'drop']) {
                zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
        }"""
    )


def written(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def to_the_site(site, request):
    return request.url.startswith(f"{site}/")


def to_the_bucket(request):
    return request.url.startswith(f"{settings.AWS_S3_ENDPOINT_URL}/")


def test_three_dropped_files_go_to_the_bucket_and_the_site_receives_almost_nothing(
    page, site, problems, make_user, bucket, worker, tmp_path
):
    make_user("traveller")
    log_in(page, site, "traveller")
    page.goto(f"{site}/upload/")
    expect(page.locator("#id_photo_helptext")).to_have_text("JPEG, PNG, GIF, WebP, HEIC or AVIF, up to 200 MB each.")
    files = [
        written(tmp_path, "harbour.jpg", noisy_jpeg()),
        written(tmp_path, "panorama.png", noise_png(LARGE)),
        written(tmp_path, "sketch.png", image_bytes("PNG", (800, 600))),
    ]
    site_bytes, bucket_bytes = [], []
    page.on(
        "request",
        lambda request: to_the_site(site, request) and site_bytes.append(len(request.post_data_buffer or b"")),
    )
    page.on("request", lambda request: to_the_bucket(request) and bucket_bytes.append(request.method))

    drop_paths(page, files)

    items = page.locator(".upload-item")
    expect(items).to_have_count(3)
    # Each is verified by the worker, then processed.
    expect(page.locator("#upload-summary")).to_have_text("3 uploaded. See the gallery", timeout=120_000)
    for item in items.all():
        assert ".thumbnail.webp?" in server_thumbnail(item), "the worker's thumbnail, once it made it"
        expect(item.locator(".upload-item__status")).to_have_text(re.compile(r"^Uploaded\. View “"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "upload-direct-1280.png", full_page=True)

    photos = {photo.title: photo for photo in Photo.objects.filter(owner__username="traveller")}
    assert sorted(photos) == ["harbour", "panorama", "sketch"]
    assert photos["panorama"].size == files[1].stat().st_size > 40 * MB
    assert sum(site_bytes) < 64 * 1024, f"the site received {sum(site_bytes)} bytes of request bodies"
    assert bucket_bytes.count("PUT") == -(-files[1].stat().st_size // MIN_PART_SIZE), "the large file in parts"
    assert bucket_bytes.count("POST") == 2, "each small file in one POST"
    assert stored_keys() - bucket == {key for photo in photos.values() for key in photo.object_keys()}
    assert incoming() == set()
    assert problems == []


def part_length(number, size):
    """The bytes part `number` of a file of `size` bytes carries."""
    return min(MIN_PART_SIZE, size - (number - 1) * MIN_PART_SIZE)


def part_number(url):
    return int(parse_qs(urlsplit(url).query)["partNumber"][0])


def test_a_large_file_resumes_after_the_network_is_cut_and_the_page_reloaded(
    page, site, problems, make_user, worker, tmp_path
):
    make_user("commuter")
    log_in(page, site, "commuter")
    page.goto(f"{site}/upload/")
    path = written(tmp_path, "IMG_2024.png", noise_png(LARGE))
    size = path.stat().st_size
    # The parts that left the browser, or may have: those held in flight when the network is cut count whole.
    sent, in_flight, network = [], [], {"cut": False}

    def first_two_parts_then_a_cut(route):
        """Parts 1 and 2 reach the bucket; the next ones stay in flight until the network is cut, and from then on
        nothing reaches it."""
        request = route.request
        if network["cut"]:
            route.abort("internetdisconnected")
            return
        if request.method == "PUT":
            sent.append(part_number(request.url))
        if request.method == "PUT" and part_number(request.url) > 2:
            in_flight.append(route)
        else:
            route.continue_()

    page.route(f"{settings.AWS_S3_ENDPOINT_URL}/**", first_two_parts_then_a_cut)
    drop_paths(page, [path])
    session = while_browsing(page, lambda: UploadSession.objects.first(), "session")
    while_browsing(page, lambda: held_parts(session) == [1, 2] and len(in_flight) == 4, "two parts held, 4 in flight")
    page.context.set_offline(True)
    network["cut"] = True
    for route in in_flight:
        route.abort("internetdisconnected")
    status = page.locator(".upload-item__status")
    expect(status).to_have_text("Waiting for the network…")
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.reload()  # still offline: Chromium's error page replaces the upload page and ends its requests
    page.unroute_all()
    held = held_parts(session)
    assert held[:2] == [1, 2] and len(held) < -(-size // MIN_PART_SIZE), "the network was cut in the middle"
    resent = []
    page.on("request", lambda r: r.method == "PUT" and to_the_bucket(r) and resent.append(part_number(r.url)))

    page.context.set_offline(False)
    # A part the dying page had in flight may still land after `held` was read, so the parts to resend are those
    # the session's answer to the resumed page lists.
    resumed = page.expect_response(lambda r: r.request.method == "GET" and r.url.endswith(f"/{session.pk}"))
    with resumed as answer:
        page.goto(f"{site}/upload/")
        drop_paths(page, [path])
    reported = {part["part_number"] for part in answer.value.json()["parts_held"]}
    assert set(held) <= reported and len(reported) < -(-size // MIN_PART_SIZE), "resumed in the middle"

    expect(status).to_contain_text("View “IMG_2024”", timeout=120_000)
    assert ".thumbnail.webp?" in server_thumbnail(page.locator(".upload-item"))
    photo = Photo.objects.get()
    assert (photo.title, photo.size) == ("IMG_2024", size)
    assert UploadSession.objects.count() == 1, "the same session, resumed"
    count = -(-size // MIN_PART_SIZE)
    assert sorted(resent) == sorted(set(range(1, count + 1)) - reported), "only the parts the bucket did not hold"
    total = sum(part_length(number, size) for number in sent + resent)
    assert total < 2 * size, f"{total} bytes sent for a file of {size}"
    assert page.evaluate("window.localStorage.getItem('photosite.direct-uploads')") == "{}"
    assert incoming() == set()
    cut = ("net::ERR_INTERNET_DISCONNECTED", "Failed to load resource")
    assert [problem for problem in problems if not any(reason in problem for reason in cut)] == []


def while_browsing(page, condition, what, timeout=60):
    """wait_until, letting Playwright handle the page's events (its routes) meanwhile."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        page.wait_for_timeout(50)
    return result


def held_parts(session):
    """The part numbers S3 holds for this session, from ListParts."""
    return [part["PartNumber"] for part in s3.held_parts(session.key, session.multipart_upload_id)]
