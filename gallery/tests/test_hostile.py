"""Hostile files, made here rather than committed: each gets a JSON 400/413, or is stored safely; never a 500.

Malformed metadata containers of every format come from gallery.tests.support.malformed.
"""

import io
import json
import os
import re
import socket
import struct
import zlib
from pathlib import Path

import pytest
import requests
from django.conf import settings
from PIL import ExifTags, Image
from rest_framework.authtoken.models import Token

from gallery.images import AVIF_BYTES_PER_PIXEL, DECODE_BUDGET_BYTES, HEIF_BYTES_PER_PIXEL, WEBP_BYTES_PER_PIXEL
from gallery.images.limits import MAX_EXIF_BYTES, MAX_ICC_BYTES, MAX_METADATA_BYTES
from gallery.models import Photo
from gallery.tests.support import heic_bytes, image_bytes, photo_exif, png_chunk, running_gunicorn, stored_keys
from gallery.tests.support.malformed import MALFORMED_METADATA, jpeg_segment

KEY_PATTERN = re.compile(r"photos/[0-9a-f]{32}\.(jpg|png|gif|webp|avif|heic)")
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
MAX_WORKER_RSS_KB = 300 * 1024


def saved(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(mode="RGB", size=(320, 240)):
    """A photo-like image whose every byte matters, so that truncating it cuts into the pixels."""
    return Image.effect_noise(size, 60).convert(mode)


def gif_with_frames(count):
    """An animated 1 x 1 GIF of `count` frames, written by hand in 20 bytes a frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # A graphic control extension (10 ms), an image descriptor and its LZW data: clear, pixel 0, end.
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    )
    return screen + loop + frame * count + b"\x3b"


def truncated(content):
    return content[: len(content) // 2]


def png_rows(width, height, color_type, channels):
    """A well-formed PNG of black pixels, compressed row by row without building the image in memory."""
    compressor, row = zlib.compressobj(9), b"\0" * (1 + width * channels)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def noise_png(max_bytes, width=2048):
    """An RGB PNG of random pixels (so it does not compress) a little under max_bytes long."""
    rows = (max_bytes - 200_000) // (1 + 3 * width)
    compressor = zlib.compressobj(1)
    data = b"".join(compressor.compress(b"\0" + os.urandom(3 * width)) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def sized(pixels, ratio=4 / 3):
    """The largest width x height of about this ratio within `pixels`."""
    width = int((pixels * ratio) ** 0.5)
    return width, pixels // width


# name: (a function making the content, the status it gets, the stored Content-Type when accepted)
CORPUS = {
    "jpeg-html-polyglot": (lambda: jpeg_html_polyglot(), 201, "image/jpeg"),
    "gif-with-script": (lambda: image_bytes("GIF") + b"<script>alert(1)</script>", 201, "image/gif"),
    "png-1mb-text": (lambda: png_with_chunk(b"tEXt", b"Comment\0" + b"x" * 1_000_000), 201, "image/png"),
    "png-5mb-text": (lambda: png_with_chunk(b"tEXt", b"Comment\0" + b"x" * 5_000_000), 400, None),
    "png-ztxt-bomb": (lambda: png_with_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 50_000_000)), 400, None),
    "png-iccp-bomb": (lambda: png_with_chunk(b"iCCP", b"icc\0\0" + zlib.compress(b"\0" * 50_000_000)), 400, None),
    "gif-10000-frames": (lambda: gif_with_frames(10_000), 201, "image/gif"),
    "cmyk-jpeg": (lambda: saved(Image.new("CMYK", (64, 48), (0, 60, 120, 10)), "JPEG"), 201, "image/jpeg"),
    "16-bit-png": (lambda: saved(Image.new("I;16", (64, 48), 40_000), "PNG"), 201, "image/png"),
    "palette-png-transparency": (lambda: saved(Image.new("P", (64, 48), 1), "PNG", transparency=1), 201, "image/png"),
    "truncated-jpeg": (lambda: truncated(saved(noise(), "JPEG")), 400, None),
    "truncated-png": (lambda: truncated(saved(noise(), "PNG")), 400, None),
    "truncated-gif": (lambda: truncated(saved(noise("L"), "GIF")), 400, None),
    "truncated-webp": (lambda: truncated(saved(noise(), "WEBP")), 400, None),
    "exif-orientation-gps": (lambda: saved(noise(), "JPEG", exif=photo_exif()), 201, "image/jpeg"),
    "webp-over-its-memory-limit": (
        lambda: saved(Image.new("RGB", sized(WEBP_PIXEL_LIMIT + 10_000)), "WEBP"),
        400,
        None,
    ),
    **MALFORMED_METADATA,
}
WEBP_PIXEL_LIMIT = DECODE_BUDGET_BYTES // WEBP_BYTES_PER_PIXEL


def jpeg_html_polyglot():
    """A JPEG whose first bytes after SOI are an HTML page (in a comment segment), with HTML after its end too."""
    jpeg = image_bytes()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML + jpeg[2:] + HTML


def png_with_chunk(kind, data):
    """A small PNG with one more chunk right after IHDR (8 bytes of signature, 25 of IHDR)."""
    png = image_bytes("PNG")
    return png[:33] + png_chunk(kind, data) + png[33:]


def assert_refused_and_nothing_written(response, bucket, status=400):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", CORPUS)
def test_hostile_file(upload, bucket, name):
    make, status, content_type = CORPUS[name]

    response = upload(make(), name="photo.jpg")

    if status != 201:
        assert_refused_and_nothing_written(response, bucket, status)
        assert response.json()["photo"], response.json()
        return
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert KEY_PATTERN.fullmatch(photo.image.name) and stored_keys() - bucket == set(photo.object_keys())
    stored = requests.get(response.json()["photo_url"], timeout=10)
    assert stored.headers["Content-Type"] == photo.content_type == content_type
    assert len(stored.content) == photo.size


@pytest.mark.django_db
def test_multi_scan_jpeg_gets_a_lower_limit_than_a_single_scan_one(upload, bucket):
    """A progressive CMYK JPEG keeps 8 bytes of coefficients per pixel while it decodes, and 1 more of the image
    drafted at 1/2 scale; a baseline one only the latter, a row of blocks at a time."""
    image = Image.new("CMYK", sized(DECODE_BUDGET_BYTES // 9 + 50_000))

    progressive = upload(saved(image, "JPEG", progressive=True))
    baseline = upload(saved(image, "JPEG"))

    assert progressive.status_code == 400
    assert progressive.json()["photo"] == [
        f"This image has {image.width} x {image.height} pixels; the limit is 16.7 million pixels."
    ]
    assert baseline.status_code == 201 and Photo.objects.get().width == image.width


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    ["../../../etc/passwd.jpg", "..\\..\\boot.ini.jpg", "nul\x00byte.jpg", "x" * 300 + ".jpg", "\u202egpj.exe.jpg"],
)
def test_client_file_name_never_reaches_the_key_and_makes_a_clean_title(upload, filename):
    response = upload(image_bytes(), name=filename)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert KEY_PATTERN.fullmatch(photo.image.name)
    assert 0 < len(photo.title) <= 200
    assert not re.search(r"[\x00-\x1f\u202a-\u202e/\\]", photo.title)
    assert ".." not in photo.title


def largest_allowed():
    """The biggest images and upload each limit lets through, with as much metadata as the limits allow beside
    the images whose decoders hold it while they decode: what a worker's memory must hold."""
    max_pixels = settings.GALLERY_MAX_PIXELS
    metadata = most_metadata()
    progressive_cmyk = saved(Image.new("CMYK", sized(DECODE_BUDGET_BYTES // 9)), "JPEG", progressive=True)
    rgba_png = png_rows(*sized(DECODE_BUDGET_BYTES // 4), color_type=6, channels=4)
    webp = Image.new("RGB", sized(WEBP_PIXEL_LIMIT))
    return {
        "jpeg-largest-baseline": saved(Image.new("L", sized(max_pixels)), "JPEG"),
        "jpeg-largest-progressive-444": saved(
            Image.new("RGB", sized(DECODE_BUDGET_BYTES // 7)), "JPEG", progressive=True, subsampling=0
        ),
        "jpeg-largest-progressive-cmyk": progressive_cmyk,
        "jpeg-largest-progressive-cmyk-most-metadata": jpeg_with_most_metadata(progressive_cmyk, **metadata),
        "png-largest-rgba": rgba_png,
        "png-largest-rgba-most-metadata": png_with_most_metadata(rgba_png, **metadata),
        "png-largest-grey": png_rows(*sized(max_pixels), color_type=0, channels=1),
        "webp-largest": saved(webp, "WEBP"),
        "webp-largest-most-metadata": saved(webp, "WEBP", **metadata),
        "avif-largest-most-metadata": saved(
            Image.new("RGB", sized(int(DECODE_BUDGET_BYTES // AVIF_BYTES_PER_PIXEL))), "AVIF", speed=10, **metadata
        ),
        "heic-largest-most-metadata": heic_bytes(
            Image.new("RGB", sized(int(DECODE_BUDGET_BYTES // HEIF_BYTES_PER_PIXEL)), (9, 99, 199)), **metadata
        ),
        "largest-upload": noise_png(settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024),
    }


def most_metadata():
    """EXIF (location included) and a colour profile each a little under their limits, and XMP for the rest of the
    metadata limit, as keyword arguments to save()."""
    exif = photo_exif()
    exif[ExifTags.Base.ImageDescription] = "x" * (MAX_EXIF_BYTES - 1000)
    icc_profile = bytes(MAX_ICC_BYTES - 50_000)
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>".ljust(MAX_METADATA_BYTES - MAX_EXIF_BYTES - MAX_ICC_BYTES, b" ")
    return {"exif": exif.tobytes(), "icc_profile": icc_profile, "xmp": xmp}


def jpeg_with_most_metadata(jpeg, exif, icc_profile, xmp):
    """The JPEG with this EXIF, profile and XMP (the packet, then extended XMP) in segments after its SOI."""
    segment = 65_000
    icc = [icc_profile[i : i + segment] for i in range(0, len(icc_profile), segment)]
    segments = [jpeg_segment(0xE1, exif)]
    segments += [jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes([n + 1, len(icc)]) + part) for n, part in enumerate(icc)]
    segments += [jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp[:segment])]
    segments += [
        jpeg_segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + xmp[i : i + segment])
        for i in range(segment, len(xmp), segment)
    ]
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def png_with_most_metadata(png, exif, icc_profile, xmp):
    """The PNG with this EXIF and profile, 1 MB of XMP and three comments of 1 MB (Pillow holds 4 MB of text at
    most), and 3 MB of unknown chunks after the pixels, which Pillow keeps too."""
    text = b"".join(png_chunk(b"tEXt", b"Comment\0" + b"x" * 1_000_000) for _ in range(3))
    private = b"".join(png_chunk(b"prIv", bytes(1_000_000)) for _ in range(3))
    chunks = (
        png_chunk(b"eXIf", exif.removeprefix(b"Exif\x00\x00"))
        + png_chunk(b"iCCP", b"profile\0\0" + zlib.compress(icc_profile))
        + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp[:1_000_000])
        + text
    )
    at = png.index(b"IDAT") - 4
    end = png.rindex(b"IEND") - 4
    return png[:at] + chunks + png[at:end] + private + png[end:]


@pytest.fixture(scope="module")
def hostile_server(django_db_setup):
    """gunicorn as deployed, on its own, so that its workers' peak memory is this module's alone."""
    with running_gunicorn() as (base, process):
        yield base, process


def worker_pids(master):
    return [int(pid) for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]


def peak_rss_kb(pid):
    """A process's peak resident memory (VmHWM), in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))


def reset_peak_rss(pid):
    """Start a process's peak resident memory again from what it holds now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_workers_stay_under_300_mb_through_the_corpus(hostile_server, alice, bucket):
    base, master = hostile_server
    workers = worker_pids(master)
    headers = {"Authorization": f"Token {Token.objects.create(user=alice).key}"}
    largest = largest_allowed()
    assert 0 < settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024 - len(largest["largest-upload"]) < 300_000
    files = {name: make() for name, (make, _, _) in CORPUS.items()} | largest

    statuses, peaks = {}, {}
    for name, content in files.items():
        for pid in workers:
            reset_peak_rss(pid)
        response = requests.post(f"{base}/api/photos", headers=headers, files={"photo": (name, content)}, timeout=120)
        statuses[name] = response.status_code
        peaks[name] = max(peak_rss_kb(pid) for pid in workers)
        assert response.headers["Content-Type"] == "application/json", (name, response.text[:300])

    expected = {name: status for name, (_, status, _) in CORPUS.items()} | dict.fromkeys(largest, 201)
    assert statuses == expected
    assert worker_pids(master) == workers, "no worker died or was replaced"
    highest = sorted(peaks.items(), key=lambda item: -item[1])[:5]
    print(f"highest peak worker RSS (kB): {highest}; corpus of {len(files)} files, {sum(map(len, files.values()))} B")
    assert highest[0][1] < MAX_WORKER_RSS_KB, highest


BOUNDARY = "photositeboundary"


def multipart(*parts, boundary=BOUNDARY):
    """A multipart/form-data body of (field name, file name, content) parts."""
    body = b""
    for field, filename, content in parts:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode()


def raw_post(base, token, body, content_length=None, boundary=BOUNDARY):
    """POST /api/photos over a plain socket, say the end of the body with a half-close; return (status, body).

    The socket's timeout fails the test, rather than hanging it, if the server waits for bytes that never come.
    """
    head = (
        "POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body) if content_length is None else content_length}\r\nConnection: close\r\n\r\n"
    ).encode()
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, content = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, content


@pytest.fixture
def token(alice):
    return Token.objects.create(user=alice).key


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_two_photo_fields_are_refused(hostile_server, token, bucket):
    body = multipart(("photo", "a.jpg", image_bytes()), ("photo", "b.png", image_bytes("PNG")))

    status, head, content = raw_post(hostile_server[0], token, body)

    assert status == 400 and b"application/json" in head
    assert json.loads(content) == {"photo": ["Send one file in this field, not several."]}
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_wrong_boundary_is_refused(hostile_server, token, bucket):
    body = multipart(("photo", "a.jpg", image_bytes()), boundary="notthisone")

    status, head, content = raw_post(hostile_server[0], token, body)

    assert status == 400 and b"application/json" in head
    assert json.loads(content) == {"photo": ["No file was submitted."]}
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_content_length_shorter_than_the_body_is_refused(hostile_server, token, bucket):
    """The server reads only what Content-Length announces: the image arrives cut off."""
    body = multipart(("photo", "a.jpg", saved(noise(), "JPEG")))

    status, head, content = raw_post(hostile_server[0], token, body, content_length=len(body) - 2000)

    assert status == 400 and b"application/json" in head, content
    assert json.loads(content)["photo"]
    assert stored_keys() == bucket and not Photo.objects.exists()


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_content_length_longer_than_the_body_does_not_hang_the_worker(hostile_server, token, bucket):
    """The body ends early (the client half-closes): the worker answers at once rather than waiting for ever.

    Its multipart end marker did arrive, so nothing of the image is missing: it is stored, byte for byte.
    """
    image = saved(noise(), "JPEG")
    body = multipart(("photo", "a.jpg", image))

    status, _, content = raw_post(hostile_server[0], token, body, content_length=len(body) + 2000)

    assert status == 201, content
    assert requests.get(json.loads(content)["photo_url"], timeout=10).content == image
    assert requests.get(f"{hostile_server[0]}/healthz", timeout=10).status_code == 200
