"""The library's actions on /api/photos/...: on many photos at once (all or nothing), and the duplicate check.

PhotoViewSet (gallery.api) takes them in; the trash's endpoints are in gallery.library.api."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from gallery.library import trash
from gallery.library.bulk import changeable_photos, deletable_photos
from gallery.library.serializers import (
    BulkPhotoIdsSerializer,
    BulkResultSerializer,
    ChecksumResultsSerializer,
    ChecksumsSerializer,
)
from gallery.models import Photo

BULK_ERRORS = {
    400: OpenApiResponse(description="photo_ids missing, empty, too long or not ids."),
    401: OpenApiResponse(description="Not logged in."),
    403: OpenApiResponse(
        description="You may not act on some of the photos (photo_ids lists them); nothing was changed."
    ),
    404: OpenApiResponse(
        description="Some of the photos do not exist or you may not see them (photo_ids lists them); nothing was "
        "changed."
    ),
}


def bulk_schema(summary, description):
    return extend_schema(
        summary=summary,
        description=f"{description} All or nothing: every photo of photo_ids must be one you may act on.",
        request=BulkPhotoIdsSerializer,
        responses={200: BulkResultSerializer, **BULK_ERRORS},
    )


def ids_from(request, serializer_class=BulkPhotoIdsSerializer):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PhotoLibraryActions:
    """Actions of PhotoViewSet on many photos at once (all or nothing), and the duplicate check."""

    def bulk(self, request, change, allowed=changeable_photos):
        photos = allowed(request.user, ids_from(request)["photo_ids"])
        return Response({"photo_ids": change(photos)})

    @bulk_schema(
        "Star photos as favourites", "Sets favorite on each photo (the owner's, or staff allowed to change it)."
    )
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def favorite(self, request):
        return self.bulk(request, lambda photos: set_favorite(photos, True))

    @bulk_schema("Unstar photos", "Clears favorite on each photo.")
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def unfavorite(self, request):
        return self.bulk(request, lambda photos: set_favorite(photos, False))

    @bulk_schema(
        "Move photos to the trash",
        "Each photo leaves every list, album and share link, its objects kept, until it is restored or deleted "
        "forever (GET /api/trash); with GALLERY_TRASH_DAYS=0 they are deleted at once.",
    )
    @action(detail=False, methods=["post"], url_path="trash", permission_classes=[permissions.IsAuthenticated])
    def move_to_trash(self, request):
        return self.bulk(request, trash.move_to_trash, deletable_photos)

    @extend_schema(
        summary="Which of these files you already have",
        description="SHA-256 checksums of whole files: those you already have a photo of (perhaps in the trash), "
        "so that a client can skip uploading them.",
        request=ChecksumsSerializer,
        responses={200: ChecksumResultsSerializer, 400: BULK_ERRORS[400], 401: BULK_ERRORS[401]},
    )
    @action(detail=False, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def check(self, request):
        checksums = {checksum.lower() for checksum in ids_from(request, ChecksumsSerializer)["checksums"]}
        found = Photo.all_objects.filter(owner=request.user, checksum__in=checksums).order_by("pk")
        results = [
            {"checksum": checksum, "photo_id": pk, "trashed": trashed_at is not None}
            for checksum, pk, trashed_at in found.values_list("checksum", "pk", "trashed_at")
        ]
        return Response({"results": results})


def set_favorite(photos, favorite):
    photos.update(favorite=favorite)
    return list(photos.values_list("pk", flat=True))
