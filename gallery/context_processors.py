"""What every page's header needs to know about the visitor and the site."""

from django.conf import settings
from django.core.files.storage import default_storage

from gallery.library.trash import trash_enabled
from gallery.models import Photo
from gallery.visibility import may_browse


def site(request):
    """Whether the visitor may upload and browse (asked only when a template looks), whether sign-up is open,
    whether deleting moves photos to the trash, and the origin of the photos' URLs (for a preconnect)."""
    return {
        "can_upload": lambda: Photo.can_be_uploaded_by(request.user),
        "can_browse": lambda: may_browse(request.user),
        "open_signup": settings.GALLERY_OPEN_SIGNUP,
        "trash_enabled": trash_enabled,
        "photo_origin": lambda: default_storage.origin,
    }
