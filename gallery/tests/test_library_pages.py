"""The library's pages and admin through Django's test client: who sees and changes what."""

import io
import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from gallery.library.backfill import Outcome, extract_metadata
from gallery.models import Photo
from gallery.tests.support import album_of, distinct_image_bytes, stored_keys, stored_photo

# Nearly every test here stores photos: the bucket fixture deletes them after each.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bucket")]


def camera_jpeg(colour=(1, 2, 3)):
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Canon", "Canon EOS R6"
    exif.get_ifd(ExifTags.IFD.Exif).update(
        {
            ExifTags.Base.DateTimeOriginal: "2019:06:01 21:00:00",
            ExifTags.Base.OffsetTimeOriginal: "+09:00",
            ExifTags.Base.LensModel: "RF35mm F1.8",
            ExifTags.Base.ExposureTime: IFDRational(1, 250),
            ExifTags.Base.FNumber: IFDRational(28, 10),
            ExifTags.Base.ISOSpeedRatings: 400,
            ExifTags.Base.FocalLength: IFDRational(35, 1),
        }
    )
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def titles(html):
    return re.findall(r'class="tile__title" aria-hidden="true">([^<]+)<', html)


def test_photo_page_says_when_and_how_it_was_taken(client, alice):
    photo = stored_photo(alice, "tokyo.jpg", camera_jpeg())

    html = client.get(f"/photos/{photo.pk}/").text

    assert '<time datetime="2019-06-01T21:00:00+09:00">1 June 2019, 21:00</time>' in html
    assert "(UTC+09:00)" in html
    assert "<dd>Canon EOS R6</dd>" in html and "<dd>RF35mm F1.8</dd>" in html
    assert "<dd>1/250 s, f/2.8, ISO 400, 35 mm</dd>" in html


def test_owner_corrects_the_date_on_the_page_and_rereading_keeps_it(logged_in, alice):
    photo = stored_photo(alice, "tokyo.jpg", camera_jpeg())

    response = logged_in.post(
        f"/photos/{photo.pk}/",
        {"title": "Tokyo", "description": "", "taken_at": "2019-06-02T08:30:00", "taken_at_offset": "+09:00"},
    )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.taken_at, photo.taken_at_offset, photo.taken_at_corrected) == (datetime(2019, 6, 2, 8, 30), 540, True)
    assert extract_metadata(photo.pk) == Outcome.DONE
    photo.refresh_from_db()
    assert photo.taken_at == datetime(2019, 6, 2, 8, 30) and photo.camera_model == "Canon EOS R6"


@pytest.mark.parametrize(
    ("taken_at", "offset", "field"),
    [
        ("2019-06-02T08:30:00", "9 hours", "taken_at_offset"),
        ("last week", "", "taken_at"),
        ("1500-01-01", "", "taken_at"),
    ],
)
def test_a_bad_date_is_shown_beside_its_field(logged_in, alice, taken_at, offset, field):
    photo = stored_photo(alice)

    response = logged_in.post(
        f"/photos/{photo.pk}/", {"title": "x", "description": "", "taken_at": taken_at, "taken_at_offset": offset}
    )

    assert response.status_code == 200
    assert f'id="id_{field}_errors"' in response.text
    photo.refresh_from_db()
    assert not photo.taken_at_corrected


def test_an_unchanged_form_is_no_correction(logged_in, alice):
    photo = stored_photo(alice, "tokyo.jpg", camera_jpeg())
    form = {"title": "New title", "description": "", "taken_at": "2019-06-01T21:00:00", "taken_at_offset": "+09:00"}

    logged_in.post(f"/photos/{photo.pk}/", form)

    photo.refresh_from_db()
    assert photo.title == "New title" and not photo.taken_at_corrected


def test_search_page_finds_by_words_and_filters_and_pages_with_them(client, alice):
    for n in range(3):
        stored_photo(alice, f"lighthouse {n}.jpg")
    stored_photo(alice, "harbour.jpg")

    first = client.get("/search/?q=lightho&limit=2")
    next_url = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(next_url)

    assert titles(first.text) == ["lighthouse 2", "lighthouse 1"] and titles(second.text) == ["lighthouse 0"]
    assert 'name="q" value="lightho"' in first.text
    assert "No photos match." in client.get("/search/?q=nothing").text
    bad = client.get("/search/?taken_at_after=soon")
    assert bad.status_code == 200 and 'id="id_taken_at_after_errors"' in bad.text
    assert client.get("/search/").status_code == 200


def test_favourites_page_and_star_button(logged_in, client_for, alice, make_user):
    starred, plain = stored_photo(alice, "starred.jpg"), stored_photo(alice, "plain.jpg")

    response = logged_in.post(
        "/photos/favourite/", {"photo_ids": starred.pk, "favorite": "1", "next": f"/photos/{starred.pk}/"}
    )

    assert response.status_code == 302 and response["Location"] == f"/photos/{starred.pk}/"
    assert titles(logged_in.get("/favourites/").text) == ["starred"]
    assert "★ Favourite" in logged_in.get(f"/photos/{starred.pk}/").text
    logged_in.post("/photos/favourite/", {"photo_ids": starred.pk, "favorite": "0"})
    assert "No favourites yet" in logged_in.get("/favourites/").text
    assert plain.pk


def test_others_cannot_star_or_restore_or_purge_and_anonymous_are_sent_to_log_in(client, alice, make_user):
    photo = stored_photo(alice)
    client.force_login(make_user("bob"))

    assert client.post("/photos/favourite/", {"photo_ids": photo.pk, "favorite": "1"}).status_code == 403
    Photo.objects.filter(pk=photo.pk).update(trashed_at=datetime(2030, 1, 1).astimezone())
    assert client.post("/trash/restore/", {"photo_ids": photo.pk}).status_code == 404
    assert client.post("/trash/purge/", {"photo_ids": photo.pk}).status_code == 404
    assert client.post("/trash/purge/", {"photo_ids": "nonsense"}).status_code == 404
    assert client.post("/trash/restore/", {"photo_ids": str(2**63)}).status_code == 404, "beyond bigint: none such"
    client.logout()
    assert client.get("/trash/").status_code == 302 and client.get("/favourites/").status_code == 302
    assert client.post("/trash/purge/", {"all": "1"}).status_code == 403
    assert Photo.all_objects.get(pk=photo.pk).trashed_at is not None and not Photo.all_objects.get().favorite


def test_a_persons_page_shows_their_photos_only(client, alice, make_user):
    stored_photo(alice, "mine.jpg")
    stored_photo(make_user("bob"), "bobs.jpg")

    assert titles(client.get("/people/bob/").text) == ["bobs"]
    assert client.get("/people/nobody/").status_code == 404


def test_delete_page_moves_to_the_trash_where_the_owner_restores_or_purges(logged_in, client, alice, make_user):
    photo = stored_photo(alice, "gone.jpg")
    keys = set(photo.object_keys())

    assert "moved to the trash" in logged_in.get(f"/photos/{photo.pk}/delete/").text
    logged_in.post(f"/photos/{photo.pk}/delete/")

    assert titles(logged_in.get("/").text) == [] and titles(logged_in.get("/trash/").text) == ["gone"]
    assert "In the trash since" in logged_in.get(f"/photos/{photo.pk}/").text
    other = client.__class__()
    other.force_login(make_user("bob"))
    assert other.get(f"/photos/{photo.pk}/").status_code == 404, "others do not see it"
    logged_in.post("/trash/restore/", {"photo_ids": photo.pk})
    assert titles(logged_in.get("/").text) == ["gone"]
    logged_in.post(f"/photos/{photo.pk}/delete/")
    logged_in.post("/trash/purge/", {"all": "1"})
    assert not Photo.all_objects.exists() and keys <= stored_keys(), "objects go once the deletion commits"


def test_uploading_a_duplicate_on_the_page_shows_the_photo_you_have(logged_in, alice):
    content = distinct_image_bytes()
    photo = stored_photo(alice, content=content)

    response = logged_in.post("/upload/", {"photo": SimpleUploadedFile("again.jpg", content)}, follow=True)

    assert response.redirect_chain[-1][0] == f"/photos/{photo.pk}/"
    assert "This photo is already in your library: nothing was uploaded." in response.text
    assert Photo.all_objects.count() == 1


@pytest.fixture
def admin_client_(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_admin_deletes_to_the_trash_restores_and_deletes_forever(admin_client_, alice):
    photos = [stored_photo(alice, f"a{n}.jpg") for n in range(2)]
    ids = [str(photo.pk) for photo in photos]

    def act(action):
        return admin_client_.post("/admin/gallery/photo/", {"action": action, "_selected_action": ids}, follow=True)

    assert "delete_selected" not in admin_client_.get("/admin/gallery/photo/").text
    assert "2 photos moved to the trash." in act("move_to_trash").text
    assert Photo.objects.count() == 0 and Photo.all_objects.count() == 2
    assert "2 photos restored." in act("restore").text
    admin_client_.post(f"/admin/gallery/photo/{photos[0].pk}/delete/", {"post": "yes"})
    assert Photo.all_objects.get(pk=photos[0].pk).trashed_at is not None, "the change page's Delete trashes too"
    assert "1 photo deleted forever" in act("delete_forever").text, "only those in the trash"
    assert list(Photo.all_objects.values_list("pk", flat=True)) == [photos[1].pk]
    assert admin_client_.get("/admin/gallery/photo/?trashed=yes").status_code == 200


def test_the_admins_delete_says_it_moves_to_the_trash(admin_client_, alice):
    photo = stored_photo(alice, "kept.jpg")
    album_of(alice, [photo])
    page = f"/admin/gallery/photo/{photo.pk}/delete/"

    confirmation = admin_client_.get(page).text
    done = admin_client_.post(page, {"post": "yes"}, follow=True).text

    assert f"Move the photo “{photo}” to the trash?" in confirmation and "Yes, move it to the trash" in confirmation
    assert "will be deleted" not in confirmation, "nothing is deleted: its album entry stays"
    assert f"“{photo}” was moved to the trash." in done and "deleted successfully" not in done
    assert Photo.all_objects.get(pk=photo.pk).trashed_at is not None and photo.album_entries.count() == 1


def test_the_admins_delete_of_a_photo_in_the_trash_deletes_it_forever(
    admin_client_, alice, django_capture_on_commit_callbacks
):
    photo = stored_photo(alice, "twice.jpg")
    keys = set(photo.object_keys())
    page = f"/admin/gallery/photo/{photo.pk}/delete/"
    admin_client_.post(page, {"post": "yes"})

    assert "Are you sure you want to delete" in admin_client_.get(page).text
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client_.post(page, {"post": "yes"}, follow=True).text
    assert "deleted successfully" in done
    assert not Photo.all_objects.filter(pk=photo.pk).exists() and not keys & stored_keys()


def test_without_the_trash_the_admins_delete_is_djangos(admin_client_, alice, settings):
    settings.GALLERY_TRASH_DAYS = 0
    photo = stored_photo(alice, "gone.jpg")
    page = f"/admin/gallery/photo/{photo.pk}/delete/"

    assert "Are you sure you want to delete" in admin_client_.get(page).text
    assert "deleted successfully" in admin_client_.post(page, {"post": "yes"}, follow=True).text
    assert not Photo.all_objects.filter(pk=photo.pk).exists()


def test_admin_add_refuses_a_duplicate_beside_the_field(admin_client_):
    content = distinct_image_bytes()
    add = "/admin/gallery/photo/add/"

    assert admin_client_.post(add, {"photo": SimpleUploadedFile("a.jpg", content), "title": "t"}).status_code == 302
    again = admin_client_.post(add, {"photo": SimpleUploadedFile("b.jpg", content), "title": "t"})

    assert again.status_code == 200 and "These bytes are already photo" in again.text
    assert Photo.all_objects.count() == 1
