"""WSGI entry point for gunicorn (see Procfile), with a request that survives a head Django cannot read."""

import os

from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosite.settings")


class CheckedWSGIRequest(WSGIRequest):
    """Django's WSGI request, keeping what fails while it reads the Content-Type instead of raising it.

    Django raises there, before any middleware could answer, on an RFC 2231 parameter in an unknown charset, or
    on a charset such as base64 (which it decodes the query string with at once): the WSGI server then answers
    its own 500. Here the request goes on as if it had no Content-Type, and gallery.middleware.FailureMiddleware
    answers `unreadable` with the site's 400.
    """

    unreadable = None

    def _set_content_type_params(self, meta):
        try:
            super()._set_content_type_params(meta)
        except (ValueError, LookupError, SuspiciousOperation) as error:
            self.unreadable = error
            self.content_type, self.content_params, self._encoding = "", {}, None
            self.__dict__.pop("GET", None)


application = get_wsgi_application()
application.request_class = CheckedWSGIRequest
