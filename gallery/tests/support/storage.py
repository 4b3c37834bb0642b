"""Photos and objects in the real bucket: storing a photo as an upload would, listing keys, other S3 options."""

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.images import detect_image
from gallery.models import Photo
from gallery.tests.support.images import image_bytes


def stored_photo(owner, name="photo.jpg", content=None, **fields):
    """A photo stored through detect_image and create_from_upload, as uploads are. A test using it asks for bucket."""
    upload = SimpleUploadedFile(name, content or image_bytes(), content_type="image/jpeg")
    return Photo.objects.create_from_upload(detect_image(upload), uploader=owner, **fields)


def stored_keys():
    """The object keys under photos/ in the real bucket."""
    return {f"photos/{name}" for name in default_storage.listdir("photos")[1]}


def storages_with(**options):
    """STORAGES whose default backend has other S3 options; changing STORAGES makes Django build a new storage."""
    return {
        "default": {"BACKEND": "gallery.storage.PhotoStorage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
