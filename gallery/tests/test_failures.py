"""No request a client can make answers 500: cursors, JSON, form bodies and heads Django cannot read, missing tables.

The requests go through photosite.wsgi's application itself, as gunicorn calls it (Django's test client builds
its own request, which would skip the part of the handler that runs before the middleware). Hypothesis feeds the
cursor decoder, the JSON parser path and the form parser path arbitrary values.
"""

import base64
import encodings.aliases
import io
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from gallery.tests.support import current_database_url, run_django, stored_photo
from photosite.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def call(method, path, body=b"", content_type=None, query="", **headers):
    """One request through the WSGI application: (status, {header: value}, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "203.0.113.70",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **({"CONTENT_TYPE": content_type} if content_type is not None else {}),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(response_headers))

    response = application(environ, start_response)
    content = b"".join(response)
    response.close()
    return started["status"], started["headers"], content


@pytest.fixture
def photo(alice, bucket):
    return stored_photo(alice)


@pytest.fixture
def token(alice):
    return f"Token {Token.objects.create(user=alice).key}"


def assert_json_error(status, headers, content, expected):
    assert status == expected, content[:300]
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content)


def assert_page(status, headers, content, expected, text):
    assert status == expected, content[:300]
    assert headers["Content-Type"].startswith("text/html")
    assert text in content.decode() and b"Traceback" not in content
    assert "Content-Security-Policy" in headers, "the page went through the middleware"


# --- Page cursors ---


def cursor(position, reverse=False):
    query = urlencode({"r": "1"} if reverse else {}) + ("&" if reverse else "") + urlencode({"p": position})
    return base64.b64encode(query.encode()).decode()


OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00 5",  # leaves Python's range in UTC
    "9999-12-31T23:59:59-01:00 5",
    f"2024-01-01T00:00:00+00:00 {2**63}",  # past a bigint
    "2024-01-01T00:00:00+00:00 0",
    "2024-01-01T00:00:00+00:00 -3",
    f"2024-01-01T00:00:00+00:00 {'9' * 5000}",  # more digits than int() reads
]


@pytest.mark.parametrize("position", OUT_OF_RANGE)
def test_an_out_of_range_cursor_is_a_404(photo, position):
    for reverse in (False, True):
        assert_json_error(*call("GET", "/api/photos", query=f"cursor={cursor(position, reverse)}"), 404)
        assert_page(*call("GET", "/", query=f"cursor={cursor(position, reverse)}"), 404, "There’s nothing here")


positions = st.one_of(
    st.text(),
    st.builds(
        lambda moment, pk: f"{moment.isoformat()} {pk}",
        st.datetimes(timezones=st.timezones() | st.just(UTC)),
        st.integers(min_value=-(2**70), max_value=2**70),
    ),
    st.builds(
        lambda moment, hours, pk: f"{moment.isoformat()}+{hours:02d}:00 {pk}",
        st.datetimes(),
        st.integers(0, 99),
        st.integers(-5, 2**64),
    ),
)


@PROPERTIES
@given(position=positions, reverse=st.booleans(), raw=st.text())
def test_no_cursor_is_a_500(photo, position, reverse, raw):
    for value in (cursor(position, reverse), raw):
        query = urlencode({"cursor": value})
        api = call("GET", "/api/photos", query=query)
        assert api[0] in {200, 404} and api[1]["Content-Type"] == "application/json", api[2][:300]
        assert call("GET", "/", query=query)[0] in {200, 404}


def test_a_cursor_from_a_page_still_works(photo, alice):
    stored_photo(alice)
    status, headers, _ = call("GET", "/api/photos", query="limit=1")
    next_query = headers["Link"].split("?", 1)[1].split(">", 1)[0]

    status, _, content = call("GET", "/api/photos", query=next_query)

    assert status == 200 and [item["id"] for item in json.loads(content)] == [photo.pk]


# --- JSON bodies ---


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_json_nested_too_deeply_is_a_400(photo, token, depth):
    body = b"[" * depth + b"]" * depth
    patched = call("PATCH", f"/api/photos/{photo.pk}", body, "application/json", authorization=token)
    assert_json_error(*patched, 400)
    assert "nested too deeply" in json.loads(patched[2])["detail"]
    with override_settings(GALLERY_ALLOW_ANONYMOUS_UPLOADS=True):
        assert_json_error(*call("POST", "/api/photos", body, "application/json"), 400)
    # The albums' and share links' endpoints parse JSON with the same parser.
    for path in ("/api/albums", "/api/share-links"):
        assert_json_error(*call("POST", path, body, "application/json", authorization=token), 400)


CHARSETS = sorted({*encodings.aliases.aliases, *encodings.aliases.aliases.values()}) + ["x-unknown", "", "utf-8"]
json_bodies = st.one_of(
    st.binary(),
    st.builds(lambda depth, inner: "[" * depth + inner + "]" * depth, st.integers(0, 3000), st.text()).map(str.encode),
    st.dictionaries(st.text(), st.recursive(st.none() | st.text() | st.floats(), st.lists)).map(
        lambda data: json.dumps(data).encode()
    ),
)


@PROPERTIES
@given(body=json_bodies, charset=st.sampled_from(CHARSETS) | st.text())
def test_no_json_body_is_a_500(photo, token, body, charset):
    content_type = f"application/json; charset={quote(charset)}"
    for method, path in (("PATCH", f"/api/photos/{photo.pk}"), ("POST", "/api/photos")):
        status, headers, content = call(method, path, body, content_type, authorization=token)
        assert status < 500 and headers["Content-Type"] == "application/json", (status, content[:300])


# --- Form bodies and heads Django cannot read ---


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=base64",  # a codec, not a text encoding
        "application/x-www-form-urlencoded; charset=zlib",
        "application/x-www-form-urlencoded; charset=idna",
        "application/x-www-form-urlencoded; charset*=x-unknown''utf-8",  # RFC 2231, raised before the middleware
        "multipart/form-data; boundary=x; charset=rot13",
    ],
)
def test_a_charset_that_cannot_be_read_is_a_400(token, content_type):
    body = b"title=x&username=a&password=b"
    for query in ("", "a=1"):  # with a query string, Django decodes it at once with the charset
        assert_json_error(*call("POST", "/api/photos", body, content_type, query=query, authorization=token), 400)
        page = call("POST", "/accounts/login/", body, content_type, query=query)
        assert_page(*page, 400, "This request could not be read")


def test_too_many_fields_in_the_query_with_a_charset_is_a_400():
    """Django reads the query string while it builds the request when a charset is given: TooManyFieldsSent."""
    query = "&".join(f"f{n}=1" for n in range(2000))

    page = call("GET", "/", b"", "text/plain; charset=utf-8", query=query)

    assert_page(*page, 400, "This request could not be read")


form_types = st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=b"])
form_params = st.one_of(
    st.just(""),
    st.sampled_from(CHARSETS).map(lambda name: f"; charset={name}"),
    st.text(st.characters(codec="latin-1", exclude_categories=["Cc"])).map(lambda text: f"; {text}"),
)


@PROPERTIES
@given(body=st.binary(), content_type=form_types, params=form_params, query=st.text())
def test_no_form_body_is_a_500(token, body, content_type, params, query):
    query = quote(query, safe="=&")
    with override_settings(GALLERY_LOGINS_PER_HOUR_PER_IP=10**6):
        for path, headers in (("/api/photos", {"authorization": token}), ("/accounts/login/", {}), ("/upload/", {})):
            status, response_headers, content = call("POST", path, body, content_type + params, query, **headers)
            assert status < 500, (path, status, content[:300])
            if path.startswith("/api/"):
                assert response_headers["Content-Type"] == "application/json"


# --- Missing tables, CSRF ---


@pytest.fixture
def unmigrated_database():
    """The URL of an empty database on the suite's PostgreSQL: what a site whose migrations never ran reads."""
    name = "photosite_unmigrated"
    with psycopg.connect(current_database_url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    yield current_database_url().rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(current_database_url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


MISSING_TABLES = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
responses = [client.get("/api/photos"), client.get("/api/photos/1"), client.get("/"), client.get("/photos/1/")]
print(json.dumps([(r.status_code, r["Content-Type"], r.content.decode()) for r in responses]))
"""


def test_missing_tables_answer_503_not_500(tmp_path, unmigrated_database):
    environ = {key: value for key, value in os.environ.items() if key.startswith("AWS_")}
    result = run_django(
        MISSING_TABLES,
        tmp_path / "no.env",
        **environ,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=unmigrated_database,
    )

    assert result.returncode == 0, result.stderr
    (listed, _, listed_body), (detail, _, _), *pages = json.loads(result.stdout)
    assert (listed, json.loads(listed_body)) == (503, {"detail": "The database is not set up; try again later."})
    assert detail == 503
    for status, content_type, html in pages:
        assert (status, content_type.split(";")[0]) == (503, "text/html")
        assert "The gallery is briefly unavailable" in html
    assert "database tables missing" in result.stderr


def test_csrf_failure_is_the_sites_403_page():
    status, headers, content = call(
        "POST", "/accounts/login/", b"username=a&password=b", "application/x-www-form-urlencoded"
    )

    assert_page(status, headers, content, 403, "The form was out of date")
    assert b"<style" not in content and b"style=" not in content, "nothing the CSP blocks"
    assert Client(enforce_csrf_checks=True).post("/upload/").status_code == 403, "the upload page too"


def test_a_page_whose_post_is_too_large_in_fields_is_a_400_page():
    body = "&".join(f"f{n}=1" for n in range(2000)).encode()

    page = call("POST", "/accounts/login/", body, "application/x-www-form-urlencoded")

    assert_page(*page, 400, "This request could not be read")


@pytest.mark.parametrize("offset", ["+00:00", "+23:59", "-23:59"])
def test_a_cursor_older_than_every_photo_pages_nothing(photo, offset):
    """Any offset Python reads is a position once in UTC (PostgreSQL itself takes offsets up to 15:59)."""
    moment = (datetime.now(UTC) - timedelta(days=3650)).replace(tzinfo=None).isoformat() + offset

    status, _, content = call("GET", "/api/photos", query=f"cursor={cursor(f'{moment} 1')}")

    assert (status, json.loads(content)) == (200, [])
