"""Reading, editing and deleting photos through the API; auth, CORS, schema and health."""

import io
import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from gallery.models import Photo
from gallery.tests.support import (
    distinct_image_bytes,
    image_bytes,
    processed_photo,
    run_django_without_database,
    storages_with,
    stored_keys,
)

pytestmark = pytest.mark.django_db

PHOTO_KEYS = {
    "id",
    "photo_url",
    "thumbnail_url",
    "grid_url",
    "display_url",
    "thumbhash",
    "average_colour",
    "title",
    "description",
    "width",
    "height",
    "size",
    "content_type",
    "created_at",
    "owner",
    "state",
    "processing_error",
    "visibility",
    "taken_at",
    "camera_make",
    "camera_model",
    "lens",
    "exposure_time",
    "f_number",
    "iso",
    "focal_length",
    "favorite",
    "trashed_at",
}


@pytest.fixture
def photo(upload):
    return processed_photo(upload(image_bytes(), title="First").json()["id"])


def rows_pointing_at(photo, count):
    """Rows that share one real object, `count` seconds apart, newest last: cheap bulk data for listing."""
    start = timezone.now() - timedelta(days=1)
    rows = [
        Photo(
            image=photo.image.name,
            title=f"copy {n}",
            width=1,
            height=1,
            size=1,
            content_type="image/jpeg",
            created_at=start + timedelta(seconds=n),
            owner=photo.owner,
            state=photo.state,
        )
        for n in range(count)
    ]
    return Photo.objects.bulk_create(rows)


@pytest.mark.parametrize("path", ["/api/photos", "/api/photos/"])
def test_list_is_a_plain_array_newest_first(client_for, upload, path):
    first = upload(image_bytes(), title="older").json()
    second = upload(image_bytes("PNG"), title="newer").json()

    response = client_for(None).get(path)

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [item["id"] for item in body] == [second["id"], first["id"]]
    assert set(body[0]) == PHOTO_KEYS
    assert "Link" not in response


def test_empty_list(client_for):
    response = client_for(None).get("/api/photos")

    assert response.status_code == 200 and response.json() == []


def test_list_urls_fetch_the_photos(client_for, upload):
    content = image_bytes("GIF")
    upload(content)

    (item,) = client_for(None).get("/api/photos").json()

    assert requests.get(item["photo_url"], timeout=10).content == content


def next_link(response):
    match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match and match.group(1)


def prev_link(response):
    match = re.search(r'<([^>]+)>; rel="prev"', response.get("Link", ""))
    return match and match.group(1)


def test_pages_follow_link_header_until_the_end(client_for, photo):
    rows_pointing_at(photo, 4)
    client = client_for(None)
    expected = list(Photo.objects.values_list("id", flat=True))
    assert len(expected) == 5

    seen, url, pages = [], "/api/photos?limit=2", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()]
        url, pages = next_link(response), pages + 1

    assert seen == expected
    assert pages == 3


def test_limit_defaults_to_50_and_stops_at_200(client_for, photo):
    rows_pointing_at(photo, 210)
    client = client_for(None)

    assert len(client.get("/api/photos").json()) == 50
    assert len(client.get("/api/photos?limit=500").json()) == 200
    assert len(client.get("/api/photos?limit=7").json()) == 7
    assert len(client.get("/api/photos?limit=nonsense").json()) == 50


def test_detail_and_404(client_for, photo):
    client = client_for(None)

    response = client.get(f"/api/photos/{photo.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "First" and response.json()["owner"] == "alice"
    assert client.get(f"/api/photos/{photo.pk}/").status_code == 200

    missing = client.get("/api/photos/999999")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_owner_edits_title_and_description(api, photo):
    response = api.patch(
        f"/api/photos/{photo.pk}", {"title": "Renamed", "description": "Now with words"}, format="json"
    )

    assert response.status_code == 200
    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("Renamed", "Now with words")


def test_edit_rejects_overlong_title(api, photo):
    response = api.patch(f"/api/photos/{photo.pk}", {"title": "x" * 201}, format="json")

    assert response.status_code == 400 and "title" in response.json()


def test_edit_cannot_change_the_measured_fields(api, photo):
    measured = (photo.width, photo.size, photo.content_type, photo.image.name)

    api.patch(f"/api/photos/{photo.pk}", {"width": 1, "size": 1, "content_type": "text/html"}, format="json")

    photo.refresh_from_db()
    assert (photo.width, photo.size, photo.content_type, photo.image.name) == measured


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("someone else", 403), ("staff", 403), ("staff allowed to", 200)]
)
def test_who_may_edit(client_for, make_user, make_staff, photo, who, status):
    user = {
        "anonymous": None,
        "someone else": make_user("bob"),
        "staff": make_staff("admin"),
        "staff allowed to": make_staff("moderator", "change_photo"),
    }[who]

    response = client_for(user).patch(f"/api/photos/{photo.pk}", {"title": "mine now"}, format="json")

    assert response.status_code == status
    assert (Photo.objects.get(pk=photo.pk).title == "mine now") == (status == 200)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("someone else", 403)])
def test_others_may_not_delete(client_for, make_user, photo, who, status):
    user = make_user("bob") if who == "someone else" else None

    response = client_for(user).delete(f"/api/photos/{photo.pk}")

    assert response.status_code == status
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert photo.image.name in stored_keys()


@override_settings(GALLERY_TRASH_DAYS=0)
@pytest.mark.parametrize("as_staff", [False, True])
def test_delete_without_trash_removes_row_then_object_after_commit(
    client_for, api, make_staff, photo, django_capture_on_commit_callbacks, as_staff
):
    client = client_for(make_staff("moderator", "delete_photo")) if as_staff else api

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.delete(f"/api/photos/{photo.pk}/")
        assert not Photo.objects.filter(pk=photo.pk).exists()
        assert photo.image.name in stored_keys(), "the object must outlive the transaction"
    for callback in callbacks:
        callback()

    assert response.status_code == 204
    assert photo.image.name not in stored_keys()


def test_put_is_not_offered(api, photo):
    assert api.put(f"/api/photos/{photo.pk}", {"title": "x"}, format="json").status_code == 405


def test_session_login_needs_csrf_token(alice, bucket):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    file = io.BytesIO(image_bytes())
    file.name = "a.jpg"

    refused = client.post("/api/photos", {"photo": file}, format="multipart")

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/api-auth/login/")  # a page with a form sets the csrftoken cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    file.seek(0)
    accepted = client.post("/api/photos", {"photo": file}, format="multipart", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_token_command_prints_a_working_token(alice, capsys, bucket):
    call_command("drf_create_token", "alice")
    token = re.search(r"token (\w+) for user alice", capsys.readouterr().out).group(1)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    file = io.BytesIO(image_bytes())
    file.name = "a.jpg"
    assert client.post("/api/photos", {"photo": file}, format="multipart").status_code == 201

    call_command("drf_create_token", "alice")
    assert token in capsys.readouterr().out, "a second call prints the same token"


@override_settings(CORS_ALLOWED_ORIGINS=["http://localhost:5173"])
def test_cors_allows_the_configured_front_end_only(client_for):
    client = client_for(None)
    preflight = client.options(
        "/api/photos", HTTP_ORIGIN="http://localhost:5173", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert preflight["Access-Control-Allow-Credentials"] == "true"

    other = client.get("/api/photos", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    for path in ("/admin/login/", "/accounts/login/", "/"):
        page = client.get(path, HTTP_ORIGIN="http://localhost:5173")
        assert "Access-Control-Allow-Origin" not in page and "Access-Control-Allow-Credentials" not in page, path


def test_objects_are_cached_no_longer_than_a_url_to_them_can_work(api, upload, settings):
    """A deleted photo stays in the browsers that showed it for at most AWS_QUERYSTRING_EXPIRE, not a day."""
    photo_id = processed_photo(upload(image_bytes()).json()["id"]).pk
    photo = api.get(f"/api/photos/{photo_id}").json()

    for url in (photo["photo_url"], photo["thumbnail_url"]):
        cache_control = requests.get(url, timeout=10).headers["Cache-Control"]
        assert cache_control == f"private, max-age={settings.AWS_QUERYSTRING_EXPIRE}, immutable"


def test_typed_texts_lose_bidirectional_controls_on_the_api(api, photo):
    api.patch(f"/api/photos/{photo.pk}", {"title": "a\u202eb", "description": "c\u2066d\u2069"}, format="json")

    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("ab", "cd")


def test_openapi_schema_docs_and_browsable_api(client_for):
    client = client_for(None)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/photos/"]) and {"get", "patch", "delete"} <= set(
        paths["/api/photos/{id}/"]
    )
    listed = paths["/api/photos/"]["get"]["responses"]["200"]
    list_schema = listed["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema.json()["components"]["schemas"][list_schema]["type"] == "array"
    assert "Link" in listed["headers"]
    assert "multipart/form-data" in paths["/api/photos/"]["post"]["requestBody"]["content"]

    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content, "Swagger UI's files are served locally"


def test_browsable_api_offers_an_upload_form(client_for, alice):
    browsable = client_for(alice).get("/api/photos/", HTTP_ACCEPT="text/html")

    assert browsable.status_code == 200 and b"Photo List" in browsable.content
    assert b'type="file"' in browsable.content and b'name="photo"' in browsable.content


def test_healthz_ok(client_for):
    response = client_for(None).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_healthz_names_the_storage_when_it_fails(client_for):
    with override_settings(STORAGES=storages_with(secret_key="wrong")):
        response = client_for(None).get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "storage": "unavailable"}


def test_bulk_delete_and_deleted_owner_remove_the_objects(upload, alice, django_capture_on_commit_callbacks):
    """Deletes that bypass the API (admin bulk delete, an account removed) take the S3 objects along."""
    photos = [processed_photo(upload(distinct_image_bytes()).json()["id"]) for _ in range(3)]
    keys = [set(photo.object_keys()) for photo in photos]

    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.filter(pk__in=[photo.pk for photo in photos[:2]]).delete()
    assert not (keys[0] | keys[1]) & stored_keys() and keys[2] <= stored_keys()

    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not keys[2] & stored_keys() and not Photo.objects.exists()


def test_database_down_gets_503_in_json(tmp_path):
    """A fresh process whose database port is closed: the API and the health check answer 503, never a 500."""
    code = """
import json, django
django.setup()
from django.test import Client
client = Client()
print(json.dumps([(r.status_code, r.json()) for r in (client.get("/api/photos"), client.get("/healthz"))]))
"""
    result = run_django_without_database(code, tmp_path)

    assert result.returncode == 0, result.stderr
    (listed, listed_body), (health, health_body) = json.loads(result.stdout)
    assert (listed, listed_body) == (503, {"detail": "The database is unavailable; try again later."})
    assert (health, health_body) == (503, {"status": "unavailable", "database": "unavailable", "storage": "ok"})


@pytest.mark.parametrize("limit", [5, 50, 200])
def test_list_runs_one_query_whatever_the_page_size(client_for, photo, django_assert_num_queries, limit):
    rows_pointing_at(photo, 2 * limit)
    client = client_for(None)

    with django_assert_num_queries(1):
        first = client.get(f"/api/photos?limit={limit}")
    with django_assert_num_queries(1):
        second = client.get(next_link(first))

    assert [item["owner"] for item in first.json() + second.json()] == ["alice"] * 2 * limit


@contextmanager
def s3_requests():
    """The list of the HTTP requests the storage's boto3 clients send to S3 inside the block."""
    sent, handler = [], lambda request, **kwargs: sent.append(request.url)
    clients = {default_storage.connection.meta.client, default_storage.bucket.meta.client}
    for client in clients:
        client.meta.events.register("before-send.s3", handler)
    try:
        yield sent
    finally:
        for client in clients:
            client.meta.events.unregister("before-send.s3", handler)


def test_listing_photos_sends_no_request_to_s3(client_for, photo):
    rows_pointing_at(photo, 60)
    client = client_for(None)

    with s3_requests() as sent:
        listed = client.get("/api/photos?limit=50")
        gallery = client.get("/")
        detail = client.get(f"/api/photos/{photo.pk}")
        page = client.get(f"/photos/{photo.pk}/")
    assert {response.status_code for response in (listed, gallery, detail, page)} == {200}
    assert sent == [], "every URL is signed locally"

    with s3_requests() as sent:
        default_storage.exists(photo.image.name)
    assert len(sent) == 1, "the count would see a request"


def test_pages_of_photos_sharing_a_timestamp_neither_skip_nor_repeat(client_for, photo):
    """The cursor is the whole key (created_at, id): ties on created_at are ordered and resumed by id."""
    moment = timezone.now() - timedelta(days=2)
    Photo.objects.bulk_create(
        [
            Photo(**{**model_to_dict(photo, exclude=["id", "owner"]), "created_at": moment, "title": f"tie {n}"})
            for n in range(7)
        ]
    )
    client = client_for(None)
    expected = list(Photo.objects.values_list("id", flat=True))

    pages, url = [], "/api/photos?limit=3"
    while url:
        response = client.get(url)
        pages.append([item["id"] for item in response.json()])
        url = next_link(response)
    assert [photo_id for page in pages for photo_id in page] == expected
    assert [len(page) for page in pages] == [3, 3, 2]

    backwards, url = [], prev_link(response)
    while url:
        response = client.get(url)
        backwards.append([item["id"] for item in response.json()])
        url = prev_link(response)
    assert backwards == pages[-2::-1], "the prev links lead back through the same pages"


@pytest.mark.parametrize(
    ("order", "index", "column"),
    [("taken", "photo_newest_taken", "sort_at"), ("uploaded", "photo_newest_first", "created_at")],
)
def test_a_deep_page_is_one_range_of_the_index_without_a_sort(client_for, photo, order, index, column):
    rows_pointing_at(photo, 300)
    client = client_for(None)
    url = f"/api/photos?limit=50&order={order}"
    for _ in range(4):
        url = next_link(client.get(url))

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        # The table is small, so the planner would read it whole; the question is whether the query can be
        # answered from the index in its order, as it is on a large table, so the other ways are switched off.
        for method in ("seqscan", "bitmapscan", "sort", "hashjoin", "mergejoin"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"Index Scan using {index}" in plan and f"Index Cond: ({column} <=" in plan, plan
    assert "Sort" not in plan, plan


def test_a_body_without_content_type_gets_a_documented_415(api, photo):
    response = api.generic("PATCH", f"/api/photos/{photo.pk}", b"title=x", content_type="")

    assert response.status_code == 415 and "detail" in response.json()
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "415" in schema["paths"]["/api/photos/{id}/"]["patch"]["responses"]
    assert "415" in schema["paths"]["/api/photos/"]["post"]["responses"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/", "/api/photos", "/api-auth/login/", "/admin/login/"])
def test_the_api_and_admin_pages_have_an_icon(client, path):
    """Each page's icon, or /favicon.ico where it names none (which browsers then ask for), answers an image."""
    page = client.get(path, HTTP_ACCEPT="text/html")
    named = re.search(r'<link rel="(?:shortcut )?icon" href="([^"]+)"', page.content.decode())

    icon = client.get(named.group(1) if named else "/favicon.ico")

    assert page.status_code == 200
    assert icon.status_code == 200 and icon["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_each_operation_has_its_own_summary_and_description(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    operations = [operation for methods in paths.values() for operation in methods.values()]

    assert len(operations) >= 5
    assert all(operation.get("summary") and operation.get("description") for operation in operations)
    assert len({operation["summary"] for operation in operations}) == len(operations)
    assert len({operation["description"] for operation in operations}) == len(operations)
    assert paths["/api/photos/{id}/"]["delete"]["summary"] == "Delete a photo"
    assert "S3" in paths["/api/photos/{id}/"]["delete"]["description"]
