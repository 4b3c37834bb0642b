"""The bucket's side of direct uploads on the real SeaweedFS: configure_bucket's CORS and lifecycle rules, the check
the upload page makes before it offers direct uploads, and the Content-Security-Policy that lets it reach the bucket."""

import io
from urllib.parse import urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from gallery.direct_uploads import bucket
from gallery.tests.support.direct_uploads import nothing_left_in_incoming, start  # noqa: F401 (an autouse fixture)
from gallery.tests.support.images import image_bytes
from gallery.tests.support.processes import run_django

pytestmark = pytest.mark.django_db

SITE = "http://localhost:8123"


def s3():
    return default_storage.bucket.meta.client


def bucket_config(get, key):
    try:
        return get(Bucket=default_storage.bucket_name).get(key, [])
    except ClientError:
        return None


@pytest.fixture(autouse=True)
def bucket_rules_restored():
    """The bucket's CORS and lifecycle rules are put back as they were (none, on the suite's SeaweedFS)."""
    cors = bucket_config(s3().get_bucket_cors, "CORSRules")
    lifecycle = bucket_config(s3().get_bucket_lifecycle_configuration, "Rules")
    yield
    name = default_storage.bucket_name
    if cors is None:
        s3().delete_bucket_cors(Bucket=name)
    else:
        s3().put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors})
    if lifecycle is None:
        s3().delete_bucket_lifecycle(Bucket=name)
    else:
        s3().put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": lifecycle})
    bucket.checked.clear()


def configure(*origins):
    out = io.StringIO()
    call_command("configure_bucket", *(f"--origin={origin}" for origin in origins), stdout=out)
    return out.getvalue().splitlines()


def preflight(origin, method="PUT"):
    url = f"{settings.AWS_S3_ENDPOINT_URL}/{default_storage.bucket_name}/incoming/anything"
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    return requests.options(url, headers=headers, timeout=10)


def test_configure_bucket_lets_the_sites_origins_upload_and_keeps_the_other_rules():
    other = {"ID": "someone-else", "AllowedOrigins": ["https://other.example"], "AllowedMethods": ["GET"]}
    s3().put_bucket_cors(Bucket=default_storage.bucket_name, CORSConfiguration={"CORSRules": [other]})

    output = configure(SITE, "http://127.0.0.1:8123/")
    configure(SITE, "http://127.0.0.1:8123")  # again: still one rule of ours

    assert output == [
        f"CORS: {SITE}, http://127.0.0.1:8123 may PUT, POST and GET; ETag is exposed.",
        "Lifecycle: multipart uploads under incoming/ are aborted a day after they start.",
        f"Checked: a browser on {SITE} may upload to the bucket.",
        "Checked: a browser on http://127.0.0.1:8123 may upload to the bucket.",
    ]
    rules = bucket_config(s3().get_bucket_cors, "CORSRules")
    assert [rule["ID"] for rule in rules] == ["someone-else", "photosite-direct-uploads"]
    ours = rules[1]
    assert ours["AllowedOrigins"] == [SITE, "http://127.0.0.1:8123"] and ours["ExposeHeaders"] == ["ETag"]
    assert set(ours["AllowedMethods"]) == {"PUT", "POST", "GET"}
    (lifecycle,) = bucket_config(s3().get_bucket_lifecycle_configuration, "Rules")
    assert lifecycle["Filter"] == {"Prefix": "incoming/"}
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}

    answer = preflight(SITE)
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == SITE
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    assert preflight("https://evil.example").status_code == 403
    assert bucket.browsers_may_upload("https://evil.example") == (
        False,
        "the bucket refused a PUT from https://evil.example (its CORS preflight: HTTP Error 403: Forbidden)",
    )


def test_configure_bucket_wants_origins(settings):
    settings.GALLERY_DIRECT_UPLOAD_ORIGINS = []

    with pytest.raises(CommandError, match="No origin to allow: give --origin https://photos.example.com"):
        configure()
    with pytest.raises(CommandError, match=r"Not an origin \(scheme://host\[:port\], no path\): https://x/y"):
        configure("https://x/y")


def test_configure_bucket_takes_the_origins_from_the_settings(settings):
    settings.GALLERY_DIRECT_UPLOAD_ORIGINS = [SITE]

    assert configure()[0] == f"CORS: {SITE} may PUT, POST and GET; ETag is exposed."


def upload_page(client, user):
    client.force_login(user)
    return client.get("/upload/").content.decode()


def test_the_upload_page_offers_direct_uploads_only_where_the_bucket_takes_them(client, alice, settings):
    configure("http://testserver")  # the test client's origin

    page = upload_page(client, alice)
    assert 'data-uploads-url="/api/uploads"' in page, "upload.js then imports upload-direct.js"
    assert 'data-max-mb="200"' in page and "up to 200 MB each." in page

    settings.GALLERY_DIRECT_UPLOADS = False
    page = upload_page(client, alice)
    assert "data-uploads-url" not in page
    assert 'data-max-mb="25"' in page, "POST /api/photos and its own limit, as before"

    settings.GALLERY_DIRECT_UPLOADS = True
    configure("https://photos.example.com")  # the bucket no longer lets the test client's origin in
    page = upload_page(client, alice)
    assert "data-uploads-url" not in page and 'data-max-mb="25"' in page


def test_the_upload_page_may_send_to_where_the_protocol_says(api, client, alice):
    content = image_bytes()
    small = start(api, content).json()
    large = start(api, bytes(9 * 1024 * 1024)).json()  # only its size is declared
    client.force_login(alice)

    policy = client.get("/upload/")["Content-Security-Policy"]

    connect = next(part.split()[1:] for part in policy.split(";") if part.split()[0] == "connect-src")
    for url in (small["post"]["url"], large["parts"][0]["url"]):
        assert "{0.scheme}://{0.netloc}".format(urlsplit(url)) in connect
    for session in (small, large):
        assert api.delete(f"/api/uploads/{session['id']}").status_code == 204


def test_switched_off_the_policy_connects_to_the_site_alone(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src'])"

    def connect_src(**environ):
        s3 = {key: getattr(settings, key) for key in ("AWS_S3_ENDPOINT_URL", "AWS_STORAGE_BUCKET_NAME")}
        database = "postgres://nobody@127.0.0.1/photosite"
        process = run_django(code, tmp_path / "none.env", SECRET_KEY="x", DATABASE_URL=database, **s3, **environ)
        assert process.returncode == 0, process.stderr
        return process.stdout.strip()

    assert connect_src() == f"[\"'self'\", '{settings.AWS_S3_ENDPOINT_URL}']"
    assert connect_src(GALLERY_DIRECT_UPLOADS="false") == "[\"'self'\"]"
