"""The JSON API: the photo viewset, its pagination and permissions, and how failures become responses."""

import logging
from datetime import datetime

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from gallery.models import Photo
from gallery.serializers import PhotoSerializer, PhotoUploadSerializer
from gallery.storage import StorageUnavailable
from gallery.throttling import UPLOAD_THROTTLES
from gallery.uploads import UploadTooLarge

logger = logging.getLogger(__name__)


class LinkHeaderCursorPagination(CursorPagination):
    """Keyset pagination on (created_at, id), newest first, whose body stays the plain array the old API's clients read.

    The cursor holds the created_at and id of the row it starts after, so that each page is one range of the
    photo_newest_first index however deep it is, and rows sharing a created_at are never skipped or repeated.
    (DRF's CursorPagination filters on the first field alone and counts an offset among equal values.)
    The next and previous pages are announced in a Link header (RFC 8288), as GitHub's API does.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        after = self.cursor and self.cursor.position is not None
        if after:
            created_at, pk = self.decode_position(self.cursor.position)
            if reverse:  # the newer rows, nearest first
                queryset = queryset.filter(Q(created_at__gt=created_at) | Q(id__gt=pk), created_at__gte=created_at)
            else:  # created_at__lte bounds the index range; the rest skips the rows tied with the cursor's
                queryset = queryset.filter(Q(created_at__lt=created_at) | Q(id__lt=pk), created_at__lte=created_at)
        rows = list(queryset.order_by(*(("created_at", "id") if reverse else self.ordering))[: self.page_size + 1])
        self.page = rows[: self.page_size]
        more = len(rows) > self.page_size
        if reverse:
            self.page.reverse()
        self.has_next, self.has_previous = (after, more) if reverse else (more, after)
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=self.position_of(self.page[-1])))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:  # past the last row (deleted since): back to the start
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=self.position_of(self.page[0])))

    @staticmethod
    def position_of(photo):
        return f"{photo.created_at.isoformat()} {photo.pk}"

    def decode_position(self, position):
        """(created_at, id) from a cursor's position; a 404 like DRF's for anything else."""
        created_at, _, pk = position.rpartition(" ")
        try:
            created_at = datetime.fromisoformat(created_at)
            if created_at.tzinfo is None:
                raise ValueError("no time zone")
            return created_at, int(pk)
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None

    def get_paginated_response(self, data):
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if url
        ]
        return Response(data, headers={"Link": ", ".join(links)} if links else None)

    def get_paginated_response_schema(self, schema):
        return schema


class PhotoPermission(permissions.BasePermission):
    """Anyone reads; logged-in users upload (anyone, with GALLERY_ALLOW_ANONYMOUS_UPLOADS); owners and staff change."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST":
            return Photo.can_be_uploaded_by(request.user)
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.can_be_changed_by(request.user)


LINK_HEADER = OpenApiParameter(
    "Link",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description='The next and previous pages, when there are any: <url>; rel="next", <url>; rel="prev"',
)
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the upload limits (GALLERY_UPLOADS_PER_HOUR, ..._PER_IP) allow another upload.",
)


ERRORS = {
    400: "Invalid input: messages under the names of the fields at fault, or under detail.",
    401: "Not logged in: detail says so.",
    403: "Not allowed (not the owner, or a session without its CSRF token): detail says why.",
    404: "No such photo, or a stale page cursor.",
    413: "The upload is larger than GALLERY_MAX_UPLOAD_MB.",
    415: "The body has no Content-Type, or one the operation does not accept.",
    429: "Too many uploads from this user or address this hour; Retry-After gives the seconds to wait.",
    503: "The database or the photo storage is unavailable; try again later.",
}


def with_errors(success, *codes):
    """The responses of one operation: its success and the JSON errors it can answer."""
    return {**success, **{code: OpenApiResponse(OpenApiTypes.OBJECT, description=ERRORS[code]) for code in codes}}


@extend_schema_view(
    list=extend_schema(parameters=[LINK_HEADER], responses=with_errors({200: PhotoSerializer(many=True)}, 404, 503)),
    create=extend_schema(
        # A file cannot travel in JSON or a urlencoded form.
        request={"multipart/form-data": PhotoUploadSerializer},
        parameters=[RETRY_AFTER_HEADER],
        responses=with_errors({201: PhotoUploadSerializer}, 400, 401, 403, 413, 415, 429, 503),
    ),
    retrieve=extend_schema(responses=with_errors({200: PhotoSerializer}, 404, 503)),
    partial_update=extend_schema(responses=with_errors({200: PhotoSerializer}, 400, 401, 403, 404, 413, 415, 503)),
    destroy=extend_schema(responses=with_errors({204: None}, 401, 403, 404, 503)),
)
class PhotoViewSet(viewsets.ModelViewSet):
    """Photos, newest first. Upload with multipart/form-data: photo (required), title, description."""

    queryset = Photo.objects.select_related("owner")
    serializer_class = PhotoSerializer
    permission_classes = [PhotoPermission]
    pagination_class = LinkHeaderCursorPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        # By method rather than action, so that the browsable API's POST form on the list page has the file field.
        return PhotoUploadSerializer if self.request.method == "POST" else PhotoSerializer

    def get_throttles(self):
        # Only uploads are rate-limited; DRF answers a refused one 429 with Retry-After.
        return [throttle() for throttle in UPLOAD_THROTTLES] if self.action == "create" else []

    def perform_create(self, serializer):
        serializer.save(uploader=self.request.user)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The service is unavailable; try again later."
    default_code = "service_unavailable"


def exception_handler(exc, context):
    """DRF's handler, taught the failures that are not the client's fault or are about size: 413 and 503 in JSON."""
    if isinstance(exc, UploadTooLarge):
        exc = PayloadTooLarge({"photo": [str(exc)]})
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Django's refusals of malformed requests (too many fields or files, say), which it would answer in HTML.
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, StorageUnavailable):
        exc = ServiceUnavailable(str(exc))
    elif isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable("The database is unavailable; try again later.")
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """Django's 404 handler: JSON under /api/ (an id the router cannot match, say), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
