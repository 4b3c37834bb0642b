"""The trash's API at /api/trash: list yours, restore, delete forever (some or all)."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gallery.api import LINK_HEADER, with_errors
from gallery.library import trash
from gallery.library.actions import BULK_ERRORS, bulk_schema, ids_from
from gallery.library.bulk import deletable_photos
from gallery.library.serializers import BulkResultSerializer, PurgeSerializer
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination
from gallery.serializers import PhotoSerializer


class TrashPagination(LinkHeaderCursorPagination):
    ordering = ("-trashed_at", "-id")


class TrashViewSet(viewsets.GenericViewSet):
    """Your photos in the trash, most recently deleted first; restore them or delete them forever."""

    permission_classes = [permissions.IsAuthenticated]

    serializer_class = PhotoSerializer
    pagination_class = TrashPagination

    def get_queryset(self):
        return Photo.all_objects.trash_of(self.request.user).select_related("owner")

    @extend_schema(
        summary="List your trash",
        description="Your photos in the trash, most recently deleted first, each with its trashed_at; they are deleted "
        "forever GALLERY_TRASH_DAYS after that. Paged as GET /api/photos is.",
        parameters=[LINK_HEADER],
        responses=with_errors({200: PhotoSerializer(many=True)}, 401, 404, 503),
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @bulk_schema(
        "Take photos out of the trash",
        "Each photo is back in the lists, albums and share links it was in, as it was before it was deleted.",
    )
    @action(detail=False, methods=["post"])
    def restore(self, request):
        photos = self.trashed(request, ids_from(request)["photo_ids"])
        return Response({"photo_ids": trash.restore(photos)})

    @extend_schema(
        summary="Delete photos in the trash forever, or all of yours",
        description="photo_ids, photos in the trash you may delete, or all: true for your whole trash. Their rows "
        "go, then their objects in S3 once that commits. All or nothing.",
        request=PurgeSerializer,
        responses={200: BulkResultSerializer, **BULK_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def purge(self, request):
        data = ids_from(request, PurgeSerializer)
        photos = self.get_queryset() if data["all"] else self.trashed(request, data["photo_ids"])
        return Response({"photo_ids": trash.purge(photos)})

    @staticmethod
    def trashed(request, ids):
        return deletable_photos(
            request.user, ids, Photo.all_objects.in_trash(), missing_message="No such photos in the trash."
        )
