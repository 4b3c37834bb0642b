"""Listing photos through the API: a plain array newest first, pages by the Link header's keyset cursor (one range of
an index, ties resumed by id), one query whatever the page size, no request to S3."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from django.core.files.storage import default_storage
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gallery.models import Photo
from gallery.tests.support import (
    image_bytes,
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
