"""Middleware: the pages' failures in the site's style (oversized uploads, unavailable services), and a private site."""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from gallery.storage import StorageUnavailable
from gallery.uploads import UploadTooLarge

logger = logging.getLogger(__name__)


class UploadLimitMiddleware:
    """Read a page's POST body before CsrfViewMiddleware does, so that an oversized upload gets a 413 page.

    Django turns an exception raised inside another middleware into a 500; read here first, it becomes
    an answer. It must come before CsrfViewMiddleware. The API (csrf-exempt DRF views) answers 413 itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            return None
        try:
            request.POST  # noqa: B018 - parsing is the point: the size limit is enforced while it runs.
        except UploadTooLarge as error:
            return render(request, "413.html", {"error": error}, status=413)
        return None


class ServiceUnavailableMiddleware:
    """Answer a page whose database or object storage is down with the site's 503 page, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception)
        elif not isinstance(exception, StorageUnavailable):
            return None
        return render(request, "503.html", status=503)


# What a visitor who is not logged in still reaches on a private site. The API (whose token logins only DRF
# sees) refuses them itself; the admin has its own login.
PRIVATE_SITE_OPEN_PATHS = ("/accounts/", "/s/", "/static/", "/healthz", "/api/", "/api-auth/", "/admin/")


class PrivateSiteMiddleware:
    """With GALLERY_PUBLIC_SITE=false, send visitors who are not logged in to the login page, but for share links."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.GALLERY_PUBLIC_SITE
            and not request.user.is_authenticated
            and not request.path_info.startswith(PRIVATE_SITE_OPEN_PATHS)
        ):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
