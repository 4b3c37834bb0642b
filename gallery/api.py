"""The JSON API: the photo viewset, its pagination and permissions, and how failures become responses."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gallery.models import Photo
from gallery.serializers import PhotoSerializer, PhotoUploadSerializer
from gallery.storage import StorageUnavailable
from gallery.throttling import UPLOAD_THROTTLES
from gallery.uploads import UploadTooLarge

logger = logging.getLogger(__name__)


class LinkHeaderCursorPagination(CursorPagination):
    """Cursor pagination whose body stays the plain array the old API's clients read.

    The next and previous pages are announced in a Link header (RFC 8288), as GitHub's API does.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

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
        serializer.save(owner=self.request.user)


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
