"""Photos and objects in the real bucket: storing (and processing) a photo as an upload would, albums, listing keys,
other S3 options."""

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.albums.models import Album, AlbumMember, AlbumPhoto
from gallery.jobs.photos import process_photo
from gallery.models import Photo
from gallery.tests.support.images import distinct_image_bytes
from gallery.uploads import uploaded_image


def stored_photo(owner, name="photo.jpg", content=None, processed=True, **fields):
    """A photo stored through uploaded_image and create_from_upload, as uploads are; then, unless processed=False,
    processed as its job does it (see processed_photo). A test using it asks for bucket."""
    upload = SimpleUploadedFile(name, content or distinct_image_bytes(), content_type="image/jpeg")
    photo = Photo.objects.create_from_upload(uploaded_image(upload), uploader=owner, **fields)
    return processed_photo(photo.pk) if processed else photo


def processed_photo(photo_id):
    """The photo after what its job does (gallery.jobs.photos.process_photo), run here, in the test's transaction.

    For tests of what processing makes; what the queue and its workers do is tested with real workers (worker).
    """
    process_photo(photo_id)
    return Photo.all_objects.get(pk=photo_id)


def album_of(owner, photos=(), visibility="public", members=(), **fields):
    """An album of `owner` holding `photos` in that order, with members given as (user, role) pairs."""
    album = Album.objects.create(owner=owner, visibility=visibility, title=fields.pop("title", "An album"), **fields)
    AlbumPhoto.objects.bulk_create(
        AlbumPhoto(album=album, photo=photo, position=n) for n, photo in enumerate(photos, start=1)
    )
    AlbumMember.objects.bulk_create(AlbumMember(album=album, user=user, role=role) for user, role in members)
    return album


def stored_keys():
    """The object keys under photos/ in the real bucket."""
    return {f"photos/{name}" for name in default_storage.listdir("photos")[1]}


def storages_with(**options):
    """STORAGES whose default backend has other S3 options; changing STORAGES makes Django build a new storage."""
    return {
        "default": {"BACKEND": "gallery.storage.PhotoStorage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
