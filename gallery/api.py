"""The JSON API: the photo viewset and its permissions, and how failures become JSON responses."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gallery.failures import classify
from gallery.library import trash
from gallery.library.actions import PhotoLibraryActions
from gallery.library.duplicates import DuplicatePhoto
from gallery.library.filters import PhotoFilterBackend, PhotoFilterSet
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination
from gallery.serializers import PhotoSerializer, PhotoUploadSerializer
from gallery.throttling import UPLOAD_THROTTLES
from gallery.visibility import may_browse


class OwnerRulePermission(permissions.BasePermission):
    """Reads are for whoever the queryset shows the row to; the row's owner rule (gallery.visibility.OwnerRule) says
    who deletes it and who changes it (every other unsafe method)."""

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return obj.can_be_deleted_by(request.user)
        return obj.can_be_changed_by(request.user)


class PhotoPermission(OwnerRulePermission):
    """Anyone reads (only logged-in users when GALLERY_PUBLIC_SITE is false); logged-in users upload (anyone, with
    GALLERY_ALLOW_ANONYMOUS_UPLOADS); the photo's rules (Photo.can_be_changed_by, can_be_deleted_by) say who changes
    and deletes it."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return may_browse(request.user)
        if request.method == "POST":
            return Photo.can_be_uploaded_by(request.user)
        return request.user.is_authenticated


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
    400: "Invalid input (or query parameter): messages under the names of the fields at fault, or under detail.",
    401: "Not logged in (reads too, when GALLERY_PUBLIC_SITE is false): detail says so.",
    403: "Not allowed (neither the owner nor allowed to manage photos, or a session without its CSRF token).",
    404: "No such photo (one in the trash is seen only by those who may delete it), or a stale page cursor.",
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
            "Photos, newest first by date taken (upload time where unknown; `?order=uploaded`: by upload time), as "
            "a plain JSON array with pre-signed URLs, searched (`q`) and filtered by the query parameters. `limit` "
            "sets the page size; the next and previous pages' URLs are in the Link header. Private photos are "
            "listed only to those who may see them; photos in the trash never are."
        ),
        parameters=[LINK_HEADER],
        responses=with_errors({200: PhotoSerializer(many=True)}, 400, 401, 404, 503),
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
        responses=with_errors(
            {
                201: PhotoUploadSerializer,
                200: OpenApiResponse(
                    PhotoUploadSerializer, description="You already had these bytes: that photo, duplicate: true."
                ),
            },
            400,
            401,
            403,
            413,
            415,
            429,
            503,
        ),
    ),
    retrieve=extend_schema(
        summary="Get a photo",
        description=(
            "One photo with its pre-signed URLs. Anyone may read a public photo; a private one answers 404 to "
            "those who may not see it, and one in the trash to all but its owner and those allowed to delete "
            "photos, who see its trashed_at."
        ),
        responses=with_errors({200: PhotoSerializer}, 401, 404, 503),
    ),
    partial_update=extend_schema(
        summary="Change a photo's title, description, visibility, date taken or star",
        description=(
            "JSON or a form with `title`, `description`, `visibility`, `taken_at` (the owner's correction, which "
            "re-reading the EXIF never overwrites) and/or `favorite`; the image cannot change. Owner or staff "
            "allowed to change photos only."
        ),
        responses=with_errors({200: PhotoSerializer}, 400, 401, 403, 404, 413, 415, 503),
    ),
    destroy=extend_schema(
        summary="Delete a photo",
        description=(
            "Moves the photo to the trash (GET /api/trash), out of every list, album and share link, its objects "
            "kept. With GALLERY_TRASH_DAYS=0 it removes the row, then its objects in S3 once that commits. Owner "
            "or staff allowed to delete photos only."
        ),
        responses=with_errors({204: None}, 401, 403, 404, 503),
    ),
)
class PhotoViewSet(PhotoLibraryActions, viewsets.ModelViewSet):
    """Photos you may see, newest first by date taken (or upload time: ?order=uploaded), searched and filtered by
    the query parameters. Upload with multipart/form-data: photo (required), title, description, visibility
    (public or private; default GALLERY_DEFAULT_VISIBILITY)."""

    serializer_class = PhotoSerializer
    permission_classes = [PhotoPermission]
    pagination_class = LinkHeaderCursorPagination
    filter_backends = [PhotoFilterBackend]
    filterset_class = PhotoFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        # Photos the user may not see are not there: 404, for reads and writes alike. Lists leave the trash
        # out; one photo in it is there for those who may take it out.
        user = self.request.user
        if self.action == "list":
            return Photo.objects.visible_to(user).select_related("owner")
        return Photo.all_objects.openable_by(user).select_related("owner")

    def filter_queryset(self, queryset):
        # The query parameters filter the list; a photo is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        # By method rather than action, so that the browsable API's POST form on the list page has the file field.
        return PhotoUploadSerializer if self.request.method == "POST" else PhotoSerializer

    def get_throttles(self):
        # Only uploads are rate-limited; DRF answers a refused one 429 with Retry-After.
        return [throttle() for throttle in UPLOAD_THROTTLES] if self.action == "create" else []

    def create(self, request, *args, **kwargs):
        try:
            return super().create(request, *args, **kwargs)
        except DuplicatePhoto as duplicate:
            context = {**self.get_serializer_context(), "duplicate": True}
            return Response(PhotoUploadSerializer(duplicate.photo, context=context).data, status=200)

    def perform_create(self, serializer):
        serializer.save(uploader=self.request.user)

    def perform_destroy(self, instance):
        trash.move_to_trash(Photo.all_objects.filter(pk=instance.pk))


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
