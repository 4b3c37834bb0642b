"""The tests' client of the direct-upload protocol (start, send, complete, as the upload page does) and what a
session may leave in the bucket under incoming/."""

import pytest
import requests
from django.core.files.storage import default_storage

from gallery.direct_uploads.models import UploadSession, UploadState
from gallery.tests.support.processes import wait_until

MB = 1024 * 1024


def start(client, content, filename="photo.jpg", **fields):
    """POST /api/uploads declaring `content`; the response."""
    declared = {"filename": filename, "size": len(content), "content_type": "image/jpeg", **fields}
    return client.post("/api/uploads", declared, format="json")


def post_whole(session, content):
    """Send a one-POST session's bytes to the bucket as a browser's form would; S3's response."""
    post = session["post"]
    return requests.post(post["url"], data=post["fields"], files={"file": ("blob", content)}, timeout=60)


def put_part(url, data):
    return requests.put(url, data=data, timeout=60)


def part_of(session, content, number):
    size = session["part_size"]
    return content[(number - 1) * size : number * size]


def sign(client, session, *numbers):
    """{part number: URL} of these parts, from POST /api/uploads/{id}/parts."""
    response = client.post(f"/api/uploads/{session['id']}/parts", {"part_numbers": list(numbers)}, format="json")
    assert response.status_code == 200, response.content
    return {part["part_number"]: part["url"] for part in response.json()["parts"]}


def send_all(client, session, content):
    """Send every byte as the session says: its POST, or each of its parts."""
    if session["post"] is not None:
        assert post_whole(session, content).status_code == 204
        return
    count = -(-len(content) // session["part_size"])
    urls = {part["part_number"]: part["url"] for part in session["parts"]}
    if missing := [n for n in range(1, count + 1) if n not in urls]:
        urls.update(sign(client, session, *missing))
    for number, url in urls.items():
        assert put_part(url, part_of(session, content, number)).status_code == 200


def complete(client, session, **fields):
    return client.post(f"/api/uploads/{session['id']}/complete", fields, format="json")


def direct_upload(client, content, filename="photo.jpg", **fields):
    """Start, send and complete an upload; the response to completing it."""
    created = start(client, content, filename, **fields)
    assert created.status_code == 201, created.content
    send_all(client, created.json(), content)
    return complete(client, created.json())


def finished(session_id):
    """The session once its job has verified it (done or rejected)."""
    return wait_until(
        lambda: UploadSession.objects.exclude(state=UploadState.VERIFYING).filter(pk=session_id).first(), "verdict"
    )


def incoming():
    """Objects and multipart uploads under incoming/ in the bucket: what a session may leave behind."""
    client = default_storage.bucket.meta.client
    bucket = default_storage.bucket_name
    objects = client.list_objects_v2(Bucket=bucket, Prefix="incoming/").get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=bucket, Prefix="incoming/").get("Uploads", [])
    return {item["Key"] for item in objects} | {f"{item['Key']} (multipart)" for item in uploads}


def clear_incoming():
    """Abort every multipart upload and delete every object under incoming/."""
    client = default_storage.bucket.meta.client
    bucket = default_storage.bucket_name
    for item in client.list_multipart_uploads(Bucket=bucket, Prefix="incoming/").get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=item["Key"], UploadId=item["UploadId"])
    for item in client.list_objects_v2(Bucket=bucket, Prefix="incoming/").get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture(autouse=True)
def nothing_left_in_incoming():
    """Each test starts with incoming/ empty (other tests may start sessions and leave them), and ends so."""
    clear_incoming()
    yield
    clear_incoming()
