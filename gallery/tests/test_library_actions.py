"""Duplicates and the trash through the API, on the real PostgreSQL and S3: who may do what."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from gallery.library.duplicates import DuplicatePhoto
from gallery.library.trash import purge_expired
from gallery.models import Photo
from gallery.tests.support import distinct_image_bytes, image_bytes, photo_exif, stored_keys, stored_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def photos(upload):
    """Three photos of alice's."""
    return [Photo.objects.get(pk=upload(distinct_image_bytes(), title=f"p{n}").json()["id"]) for n in range(3)]


def listed(client, path="/api/photos"):
    response = client.get(path)
    assert response.status_code == 200
    return [item["id"] for item in response.json()]


# --- Duplicates --------------------------------------------------------------------------------------------


def test_an_exact_duplicate_answers_200_with_the_photo_and_stores_nothing(upload, bucket):
    content = image_bytes("PNG")
    first = upload(content, name="a.png")
    keys, rows = stored_keys(), Photo.all_objects.count()

    again = upload(content, name="renamed.png", title="another title")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["duplicate"] is False
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == first.json()["title"] and again.json()["trashed_at"] is None
    assert stored_keys() == keys and Photo.all_objects.count() == rows
    photo = Photo.objects.get(pk=first.json()["id"])
    assert photo.checksum == hashlib.sha256(content).hexdigest(), "of the bytes as uploaded"


def test_a_duplicate_of_a_photo_in_the_trash_says_so(api, upload):
    content = distinct_image_bytes()
    photo_id = upload(content).json()["id"]
    api.delete(f"/api/photos/{photo_id}")

    again = upload(content)

    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["id"] == photo_id and again.json()["trashed_at"] is not None


def test_the_checksum_is_of_the_upload_even_when_its_location_is_removed(upload):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buffer, "JPEG", exif=photo_exif())
    content = buffer.getvalue()

    first = upload(content).json()

    assert first["size"] < len(content), "stored without its GPS block"
    assert Photo.objects.get(pk=first["id"]).checksum == hashlib.sha256(content).hexdigest()
    assert upload(content).status_code == 200, "the same upload again is known"


def test_others_may_store_the_same_bytes(upload, client_for, bob):
    content = distinct_image_bytes()

    assert upload(content).status_code == 201
    assert upload(content, client=client_for(bob)).status_code == 201


def test_a_duplicate_that_races_past_the_check_is_caught_by_the_constraint(alice, monkeypatch, bucket):
    """Two uploads of the same bytes at once: the unique constraint decides, and the loser stores nothing."""
    content = distinct_image_bytes()
    first = stored_photo(alice, content=content)
    keys = stored_keys()
    real, calls = Photo.existing_duplicate, []

    def checked_too_early(photo):  # the first look finds nothing: the other upload's row comes just after
        calls.append(photo)
        return None if len(calls) == 1 else real(photo)

    monkeypatch.setattr(Photo, "existing_duplicate", checked_too_early)
    with pytest.raises(DuplicatePhoto) as raised:
        stored_photo(alice, content=content)

    assert raised.value.photo == first and len(calls) == 2
    assert stored_keys() == keys, "the loser's objects are deleted again"
    assert Photo.all_objects.count() == 1


def test_check_says_which_files_you_have(api, upload, client_for, bob):
    kept, trashed = distinct_image_bytes(), distinct_image_bytes()
    kept_id, trashed_id = upload(kept).json()["id"], upload(trashed).json()["id"]
    api.delete(f"/api/photos/{trashed_id}")
    sums = [hashlib.sha256(content).hexdigest() for content in (kept, trashed, b"never uploaded")]

    response = api.post("/api/photos/check", {"checksums": [sums[0].upper(), *sums[1:]]}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"checksum": sums[0], "photo_id": kept_id, "trashed": False},
            {"checksum": sums[1], "photo_id": trashed_id, "trashed": True},
        ]
    }
    assert client_for(bob).post("/api/photos/check", {"checksums": sums}, format="json").json() == {"results": []}
    assert client_for(None).post("/api/photos/check", {"checksums": sums}, format="json").status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"checksums": ["abc"]}, {"checksums": "f" * 64}, {"checksums": ["0" * 64] * 1001}]
)
def test_check_refuses_what_is_not_a_list_of_checksums(api, body):
    response = api.post("/api/photos/check", body, format="json")

    assert response.status_code == 400 and "checksums" in response.json()


# --- The trash ---------------------------------------------------------------------------------------------


def test_delete_moves_to_the_trash_out_of_every_list_with_its_objects_kept(api, client_for, photos, bob):
    keys = set(photos[0].object_keys())

    assert api.delete(f"/api/photos/{photos[0].pk}").status_code == 204

    assert keys <= stored_keys()
    anonymous = client_for(None)
    for path in ("/api/photos", "/api/photos?q=p0", "/api/photos?owner=alice", "/api/photos?order=uploaded"):
        assert photos[0].pk not in listed(anonymous, path)
    assert listed(api, "/api/trash") == [photos[0].pk]
    assert listed(client_for(bob), "/api/trash") == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("deleting staff", 200), ("changing staff", 404), ("other", 404), ("anonymous", 404)],
)
def test_a_photo_in_the_trash_is_seen_by_its_owner_and_staff_who_may_delete_only(
    client_for, alice, make_user, make_staff, photos, who, status
):
    client_for(alice).delete(f"/api/photos/{photos[0].pk}")
    user = {
        "owner": alice,
        "deleting staff": make_staff("root", "delete_photo"),
        "changing staff": make_staff("editor", "change_photo"),
        "other": make_user("eve"),
        "anonymous": None,
    }[who]

    client = client_for(user)
    detail = client.get(f"/api/photos/{photos[0].pk}")
    edit = client.patch(f"/api/photos/{photos[0].pk}", {"title": "x"}, format="json")

    assert detail.status_code == status
    if status == 200:
        assert detail.json()["trashed_at"] is not None
    else:
        assert edit.status_code in (401, 404), "what may not be seen cannot be changed either"


def test_restore_brings_photos_back(api, photos):
    for photo in photos[:2]:
        api.delete(f"/api/photos/{photo.pk}")

    response = api.post("/api/trash/restore", {"photo_ids": [photos[0].pk, photos[1].pk]}, format="json")

    assert response.status_code == 200 and sorted(response.json()["photo_ids"]) == [photos[0].pk, photos[1].pk]
    assert listed(api) == [photo.pk for photo in reversed(photos)] and listed(api, "/api/trash") == []


def test_purge_deletes_rows_then_objects_after_commit(api, photos, django_capture_on_commit_callbacks):
    api.post("/api/photos/trash", {"photo_ids": [photo.pk for photo in photos]}, format="json")
    keys = [set(photo.object_keys()) for photo in photos]

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post("/api/trash/purge", {"photo_ids": [photos[0].pk]}, format="json")
        assert keys[0] <= stored_keys(), "the objects outlive the transaction"
    for callback in callbacks:
        callback()

    assert response.json() == {"photo_ids": [photos[0].pk]}
    assert not keys[0] & stored_keys() and not Photo.all_objects.filter(pk=photos[0].pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        emptied = api.post("/api/trash/purge", {"all": True}, format="json")
    assert sorted(emptied.json()["photo_ids"]) == [photos[1].pk, photos[2].pk]
    assert not (keys[1] | keys[2]) & stored_keys() and not Photo.all_objects.exists()


@pytest.mark.parametrize("body", [{}, {"all": False}, {"all": True, "photo_ids": [1]}, {"photo_ids": []}])
def test_purge_needs_ids_or_all(api, body):
    assert api.post("/api/trash/purge", body, format="json").status_code == 400


def test_trash_endpoints_are_all_or_nothing_and_need_a_login(api, client_for, upload, bob, photos):
    bobs = upload(distinct_image_bytes(), client=client_for(bob)).json()["id"]
    client_for(bob).delete(f"/api/photos/{bobs}")
    api.delete(f"/api/photos/{photos[0].pk}")

    for path in ("/api/trash/restore", "/api/trash/purge"):
        refused = api.post(path, {"photo_ids": [photos[0].pk, bobs]}, format="json")
        assert refused.status_code == 404 and refused.json()["photo_ids"] == [bobs]
        not_in_trash = api.post(path, {"photo_ids": [photos[0].pk, photos[1].pk]}, format="json")
        assert not_in_trash.status_code == 404 and not_in_trash.json()["photo_ids"] == [photos[1].pk]
        assert client_for(None).post(path, {"photo_ids": [bobs]}, format="json").status_code == 401
    assert client_for(None).get("/api/trash").status_code == 401
    assert set(Photo.all_objects.in_trash().values_list("pk", flat=True)) == {photos[0].pk, bobs}, "nothing done"


def test_staff_allowed_to_delete_photos_may_restore_anyones(client_for, make_staff, upload, bob):
    bobs = upload(distinct_image_bytes(), client=client_for(bob)).json()["id"]
    client_for(bob).delete(f"/api/photos/{bobs}")

    unseen = client_for(make_staff("editor", "change_photo")).post(
        "/api/trash/restore", {"photo_ids": [bobs]}, format="json"
    )
    restored = client_for(make_staff("root", "delete_photo")).post(
        "/api/trash/restore", {"photo_ids": [bobs]}, format="json"
    )

    assert unseen.status_code == 404 and unseen.json()["photo_ids"] == [bobs], "not theirs to see in the trash"
    assert restored.status_code == 200 and Photo.objects.filter(pk=bobs).exists()


def test_the_trash_is_paged_most_recently_deleted_first(api, photos):
    for photo in (photos[1], photos[0], photos[2]):
        api.delete(f"/api/photos/{photo.pk}")

    first = api.get("/api/trash?limit=2")

    assert [item["id"] for item in first.json()] == [photos[2].pk, photos[0].pk]
    link = first["Link"].split(";")[0].strip("<>")
    assert [item["id"] for item in api.get(link).json()] == [photos[1].pk]


def test_purge_expired_deletes_what_was_trashed_over_the_setting_ago(
    api, photos, settings, django_capture_on_commit_callbacks
):
    settings.GALLERY_TRASH_DAYS = 2
    api.post("/api/photos/trash", {"photo_ids": [photos[0].pk, photos[1].pk]}, format="json")
    Photo.all_objects.filter(pk=photos[0].pk).update(trashed_at=timezone.now() - timedelta(days=2, seconds=1))
    Photo.all_objects.filter(pk=photos[1].pk).update(trashed_at=timezone.now() - timedelta(days=1, hours=23))
    keys = set(photos[0].object_keys())

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired() == 1

    assert not Photo.all_objects.filter(pk=photos[0].pk).exists() and not keys & stored_keys()
    assert Photo.all_objects.filter(pk=photos[1].pk).exists() and Photo.objects.filter(pk=photos[2].pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_trash", stdout=io.StringIO())
    assert Photo.all_objects.filter(pk=photos[1].pk).exists(), "not yet two days"


@override_settings(GALLERY_TRASH_DAYS=0)
def test_with_the_trash_off_delete_is_final(api, photos, django_capture_on_commit_callbacks):
    keys = set(photos[0].object_keys())

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/photos/{photos[0].pk}").status_code == 204
        api.post("/api/photos/trash", {"photo_ids": [photos[1].pk]}, format="json")

    assert not Photo.all_objects.filter(pk__in=[photos[0].pk, photos[1].pk]).exists()
    assert not keys & stored_keys()


def test_reconcile_storage_counts_the_trashs_objects_as_owned(api, photos):
    api.delete(f"/api/photos/{photos[0].pk}")
    out = io.StringIO()

    call_command("reconcile_storage", stdout=out)

    assert f"{len(photos)} photos;" in out.getvalue()
    assert not [line for line in out.getvalue().splitlines() if photos[0].image.name in line and "orphan" in line]
