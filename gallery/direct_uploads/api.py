"""The direct-upload API: POST /api/uploads, GET and DELETE /api/uploads/{id}, and its parts and complete actions."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gallery.api import RETRY_AFTER_HEADER, OwnerRulePermission, with_errors
from gallery.direct_uploads import sessions
from gallery.direct_uploads.models import UploadSession, UploadState
from gallery.direct_uploads.serializers import (
    PartNumbersSerializer,
    PartURLsSerializer,
    UploadChangesSerializer,
    UploadCreateSerializer,
    UploadSessionSerializer,
    UploadStartSerializer,
)
from gallery.throttling import UPLOAD_THROTTLES

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
CONFLICT = {
    409: OpenApiResponse(
        OpenApiTypes.OBJECT, description="The session no longer allows this (aborted, expired, being verified...)."
    )
}


class DirectUploadsOn(permissions.BasePermission):
    """Direct uploads answer 404 when GALLERY_DIRECT_UPLOADS is false: POST /api/photos is the way then."""

    def has_permission(self, request, view):
        if not settings.GALLERY_DIRECT_UPLOADS:
            raise exceptions.NotFound("Direct uploads are switched off on this site; use POST /api/photos.")
        return True


class UploadSessionPermission(OwnerRulePermission):
    """Logged-in users start sessions; a session's owner (or who holds the model's permissions) signs, completes and
    aborts it. Its refusals (a wrong state 409, a failed check 400) come from gallery.failures' table."""

    def has_permission(self, request, view):
        return request.user.is_authenticated


@extend_schema_view(
    create=extend_schema(
        summary="Start a direct upload",
        description=(
            "JSON with `filename`, `size` (the exact bytes, at most GALLERY_MAX_DIRECT_UPLOAD_MB) and `content_type`; "
            "`title`, `description` and `visibility` here or at completion. A file of at most `part_size` bytes gets "
            "`post`, a pre-signed POST whose policy pins its exact size (send `fields`, then the file as `file`); a "
            "larger one an S3 multipart upload: `post` is null and `parts` holds the URLs of its first parts, each "
            "signed for its exact Content-Length (every part is `part_size` bytes but the last). Logged-in users "
            "only; counts against the same hourly upload limits as POST /api/photos."
        ),
        request=UploadCreateSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses=with_errors({201: UploadStartSerializer}, 400, 401, 403, 404, 415, 429, 503),
    ),
    retrieve=extend_schema(
        summary="Get a direct upload",
        description=(
            "The session's state; while a multipart upload is uploading, the parts S3 holds (ListParts), to resume "
            "from; once done, the photo; once rejected, why. Its owner sees it, and users with "
            "gallery.view_uploadsession: 404 for others."
        ),
        responses=with_errors({200: UploadSessionSerializer}, 401, 404, 503),
    ),
    destroy=extend_schema(
        summary="Abort a direct upload",
        description=(
            "Aborts the multipart upload and deletes what was sent. An ended session stays as it ended. Its owner, "
            "or a user with gallery.delete_uploadsession."
        ),
        responses=with_errors({204: None}, 401, 403, 404, 503) | CONFLICT,
    ),
)
class UploadSessionViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Direct uploads: the bytes go from the client to the bucket; a job verifies them before they become a photo."""

    permission_classes = [DirectUploadsOn, UploadSessionPermission]
    serializer_class = UploadSessionSerializer
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        # A session its user may not see is not there: 404, for reads and writes alike.
        return UploadSession.objects.seen_by(self.request.user).select_related("photo__owner")

    def get_throttles(self):
        # Starting an upload is what counts against the upload limits, as POST /api/photos does.
        return [throttle() for throttle in UPLOAD_THROTTLES] if self.action == "create" else []

    def create(self, request):
        declared = UploadCreateSerializer(data=request.data)
        declared.is_valid(raise_exception=True)
        session, post, parts = sessions.start(request.user, **declared.validated_data)
        session.post, session.parts = post, parts
        return Response(UploadStartSerializer(session).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        sessions.abort(self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Sign more parts of a direct upload",
        description=(
            "Pre-signed URLs for these parts, valid for 15 minutes (less near the session's expiry): clients sign "
            "parts as they need them, so an upload may outlive any one URL."
        ),
        request=PartNumbersSerializer,
        responses=with_errors({200: PartURLsSerializer}, 400, 401, 403, 404, 415, 503) | CONFLICT,
    )
    @action(detail=True, methods=["post"])
    def parts(self, request, pk=None):
        session = self.get_object()
        numbers = PartNumbersSerializer(data=request.data, context={"session": session})
        numbers.is_valid(raise_exception=True)
        urls = sessions.sign_parts(session, numbers.validated_data["part_numbers"])
        return Response({"parts": urls})

    @extend_schema(
        summary="Complete a direct upload",
        description=(
            "The server joins a multipart upload's parts from ListParts (no client ETag is trusted), checks that "
            "the object has the declared size and that its first bytes are an accepted image within the pixel "
            "limits, and answers 202 with the session `verifying`; a job then checks the whole file and makes it a "
            "photo (`done`, with `photo`), or `rejected`, with `error`. A failed check answers 400 with the "
            "message under `photo`, as POST /api/photos words it, and deletes what was sent. Optional JSON: "
            "`title`, `description`, `visibility`. Completing again answers the session as it is."
        ),
        request=UploadChangesSerializer,
        responses=with_errors(
            {202: UploadSessionSerializer, 200: UploadSessionSerializer}, 400, 401, 403, 404, 415, 503
        )
        | CONFLICT,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        session = self.get_object()
        changes = UploadChangesSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        session = sessions.complete(session.pk, changes.validated_data)
        done = session.state == UploadState.DONE
        return Response(UploadSessionSerializer(session).data, status=200 if done else status.HTTP_202_ACCEPTED)
