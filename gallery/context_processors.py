"""What every page's header needs to know about the visitor and the site."""

from django.conf import settings

from gallery.models import Photo


def site(request):
    """Whether the visitor may upload (asked only when a template looks) and whether sign-up is open."""
    return {
        "can_upload": lambda: Photo.can_be_uploaded_by(request.user),
        "open_signup": settings.GALLERY_OPEN_SIGNUP,
    }
