"""The JSON API: the photo viewset and its permissions, and how failures become JSON responses."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from gallery.failures import classify
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination
from gallery.serializers import PhotoSerializer, PhotoUploadSerializer
from gallery.throttling import UPLOAD_THROTTLES
from gallery.visibility import may_browse


class PhotoPermission(permissions.BasePermission):
    """Anyone reads (only logged-in users when GALLERY_PUBLIC_SITE is false); logged-in users upload (anyone, with
    GALLERY_ALLOW_ANONYMOUS_UPLOADS); the photo's rules (Photo.can_be_changed_by, can_be_deleted_by) say who changes
    and deletes it."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return may_browse(request.user)
        if request.method == "POST":
            return Photo.can_be_uploaded_by(request.user)
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return obj.can_be_deleted_by(request.user)
        return obj.can_be_changed_by(request.user)


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
    401: "Not logged in (reads too, when GALLERY_PUBLIC_SITE is false): detail says so.",
    403: "Not allowed (neither the owner nor allowed to manage photos, or a session without its CSRF token).",
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
    list=extend_schema(
        summary="List photos",
        description=(
            "Photos, newest first, as a plain JSON array with pre-signed URLs. `limit` sets the page size; the "
            "next and previous pages' URLs are in the Link header. Private photos are listed only to those who may "
            "see them."
        ),
        parameters=[LINK_HEADER],
        responses=with_errors({200: PhotoSerializer(many=True)}, 401, 404, 503),
    ),
    create=extend_schema(
        summary="Upload a photo",
        description=(
            "multipart/form-data with `photo` (required: JPEG, PNG, GIF, WebP, HEIC or AVIF, told by its bytes), "
            "`title` and `description`. Needs a logged-in user unless anonymous uploads are allowed; limited per "
            "user and per address each hour."
        ),
        # A file cannot travel in JSON or a urlencoded form.
        request={"multipart/form-data": PhotoUploadSerializer},
        parameters=[RETRY_AFTER_HEADER],
        responses=with_errors({201: PhotoUploadSerializer}, 400, 401, 403, 413, 415, 429, 503),
    ),
    retrieve=extend_schema(
        summary="Get a photo",
        description=(
            "One photo with its pre-signed URLs. Anyone may read a public photo; a private one answers 404 to "
            "those who may not see it."
        ),
        responses=with_errors({200: PhotoSerializer}, 401, 404, 503),
    ),
    partial_update=extend_schema(
        summary="Change a photo's title, description or visibility",
        description=(
            "JSON or a form with `title`, `description` and/or `visibility`; the image cannot change. Owner or "
            "staff only."
        ),
        responses=with_errors({200: PhotoSerializer}, 400, 401, 403, 404, 413, 415, 503),
    ),
    destroy=extend_schema(
        summary="Delete a photo",
        description=(
            "Removes the photo's row, then its objects in S3 (original and renditions) once that commits. "
            "Owner or staff only."
        ),
        responses=with_errors({204: None}, 401, 403, 404, 503),
    ),
)
class PhotoViewSet(viewsets.ModelViewSet):
    """Photos you may see, newest first. Upload with multipart/form-data: photo (required), title, description,
    visibility (public or private; default GALLERY_DEFAULT_VISIBILITY)."""

    serializer_class = PhotoSerializer
    permission_classes = [PhotoPermission]
    pagination_class = LinkHeaderCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        # Photos the user may not see are not there: 404, for reads and writes alike.
        return Photo.objects.visible_to(self.request.user).select_related("owner")

    def get_serializer_class(self):
        # By method rather than action, so that the browsable API's POST form on the list page has the file field.
        return PhotoUploadSerializer if self.request.method == "POST" else PhotoSerializer

    def get_throttles(self):
        # Only uploads are rate-limited; DRF answers a refused one 429 with Retry-After.
        return [throttle() for throttle in UPLOAD_THROTTLES] if self.action == "create" else []

    def perform_create(self, serializer):
        serializer.save(uploader=self.request.user)


class Failed(exceptions.APIException):
    """A failure of gallery.failures' table, raised again for DRF to answer in JSON."""

    def __init__(self, failure, exception):
        self.status_code = failure.status
        super().__init__(failure.body(exception))


def exception_handler(exc, context):
    """DRF's handler, taught the failures of gallery.failures (413, 400, 503) that it would answer 500 or in HTML."""
    if failure := classify(exc):
        exc = Failed(failure, exc)
    return drf_exception_handler(exc, context)
