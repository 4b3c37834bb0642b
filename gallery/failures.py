"""The one table of failures that are not bugs, and how each is answered: JSON under /api/, the site's page elsewhere.

The API's exception handler, the middleware, Django's error handlers and the CSRF failure view all answer
from this table, so that a request fails the same way whichever layer meets the failure first.
"""

import codecs
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views import defaults

from gallery.storage import StorageUnavailable
from gallery.uploads import UploadRejected, UploadTooLarge

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# PostgreSQL's SQLSTATEs for a table or a column that is not there: the migrations have not run.
SCHEMA_MISSING = {"42P01", "42703"}


class Conflict(Exception):
    """What was asked is not allowed in the state its object is in now (an upload aborted, expired, verified...)."""


class UnreadableRequest(BadRequest):
    """The request's head declares what cannot be read: a charset Python has no text codec for, say."""


@dataclass(frozen=True)
class Failure:
    """How one kind of failure is answered: its status, the page shown and what the client is told.

    `message` None tells the exception's own message; `field` names the API field the message goes under;
    `when` narrows the exception classes down; `log` is logged as a warning with the exception.
    """

    kinds: tuple
    status: int
    template: str
    message: str | None = None
    field: str | None = None
    when: Callable | None = None
    log: str | None = None

    def applies_to(self, exception):
        return isinstance(exception, self.kinds) and (self.when is None or self.when(exception))

    def message_for(self, exception):
        return self.message or str(exception)

    def body(self, exception):
        """The JSON body: {"detail": message}, or {field: [message]} as DRF words a field's error."""
        message = self.message_for(exception)
        return {self.field: [message]} if self.field else {"detail": message}


def schema_missing(exception):
    """Whether a database error is PostgreSQL's for a table or column the migrations have not made yet."""
    return getattr(exception.__cause__, "sqlstate", None) in SCHEMA_MISSING


# Django's refusals of malformed requests (too many fields, a broken multipart body) and this site's.
BAD_REQUEST = Failure((SuspiciousOperation, BadRequest, MultiPartParserError), 400, "400.html")

# First match wins: RequestDataTooBig is a SuspiciousOperation, but about size.
FAILURES = (
    Failure((UploadTooLarge,), 413, "413.html", field="photo"),
    Failure((RequestDataTooBig,), 413, "413.html", "The request is too large."),
    BAD_REQUEST,
    Failure((UploadRejected,), 400, "400.html", field="photo"),
    Failure((Conflict,), 409, "409.html"),
    Failure((StorageUnavailable,), 503, "503.html"),
    Failure(
        (OperationalError, InterfaceError),
        503,
        "503.html",
        "The database is unavailable; try again later.",
        log="database unavailable: %s",
    ),
    Failure(
        (ProgrammingError,),
        503,
        "503.html",
        "The database is not set up; try again later.",
        when=schema_missing,
        log="database tables missing (has `python manage.py migrate` run?): %s",
    ),
)


def classify(exception):
    """The Failure an exception stands for, or None when it is a bug (a 500)."""
    failure = next((failure for failure in FAILURES if failure.applies_to(exception)), None)
    if failure and failure.log:
        logger.warning(failure.log, exception)
    return failure


def is_api(request):
    return request.path.startswith(API_PREFIX)


def failure_response(request, failure, exception):
    """The answer to `failure`: JSON under /api/, the site's page for its status elsewhere."""
    if is_api(request):
        return JsonResponse(failure.body(exception), status=failure.status)
    return render(request, failure.template, {"error": failure.message_for(exception)}, status=failure.status)


def unreadable_request(request):
    """An UnreadableRequest for a head Django could not read (photosite.wsgi), or a charset it cannot decode; else None.

    Django accepts any name codecs.lookup knows, transformations such as base64 or zlib included, and fails later
    when it decodes; idna, punycode and undefined are text codecs whose errors its decoding does not expect.
    """
    if (error := getattr(request, "unreadable", None)) is not None:
        return UnreadableRequest(f"The Content-Type header cannot be read: {str(error)[:100]}")
    charset = request.content_params.get("charset")
    if charset is None:
        return None
    try:
        if codecs.lookup(charset).name not in {"idna", "punycode", "undefined"}:
            b"x".decode(charset, "replace")  # LookupError for a codec that does not decode bytes to text
            return None
    except (LookupError, ValueError):
        pass
    return UnreadableRequest(f"The charset {charset[:40]!r} is not one this site reads.")


# Django's error handlers (photosite.urls), which answer failures raised outside the views, in the middleware.


def bad_request(request, exception):
    """Django's refusals (BAD_REQUEST's kinds); a RequestDataTooBig among them is a 413."""
    return failure_response(request, classify(exception) or BAD_REQUEST, exception)


def not_found(request, exception):
    """JSON under /api/ (an id the router cannot match, say), the site's page elsewhere."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django calls this for any exception the views and middleware left; a known failure gets its own answer."""
    exception = sys.exc_info()[1]
    if exception is not None and (failure := classify(exception)):
        return failure_response(request, failure, exception)
    if is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's 403 page, whose styles the CSP allows (Django's own page styles inline).

    Only pages get here: the API's views are DRF's, which check the CSRF token of a session themselves.
    """
    return render(request, "403.html", {"csrf_failed": True}, status=403)
