"""The albums API: /api/albums, /api/albums/{id}, its photos (paged, added, removed) and its members."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from gallery.albums import contents
from gallery.albums.models import Album, AlbumMember
from gallery.albums.serializers import (
    AlbumSerializer,
    MemberRemovalSerializer,
    MemberSerializer,
    PhotoChangeSerializer,
    PhotoIdsSerializer,
)
from gallery.api import LINK_HEADER, with_errors
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination
from gallery.serializers import PhotoSerializer
from gallery.visibility import may_browse


class ReadableSitePermission(permissions.BasePermission):
    """Reads for everyone on a public site (GALLERY_PUBLIC_SITE), for logged-in users otherwise; writes logged in."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return may_browse(request.user)
        return request.user.is_authenticated


class AlbumPermission(ReadableSitePermission):
    """Whoever may see an album reads it; its owner and staff change it (its photos have their own rules)."""

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or view.action in ("photos", "members"):
            return True  # checked by the action
        return obj.can_be_changed_by(request.user)


class AlbumOrderPagination(CursorPagination):
    """DRF's keyset pagination on the album's order (positions are unique in an album), answered as /api/photos is."""

    ordering = "album_position"
    page_size = LinkHeaderCursorPagination.page_size
    page_size_query_param = LinkHeaderCursorPagination.page_size_query_param
    max_page_size = LinkHeaderCursorPagination.max_page_size
    get_paginated_response = LinkHeaderCursorPagination.get_paginated_response
    get_paginated_response_schema = LinkHeaderCursorPagination.get_paginated_response_schema


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies for PUT, PATCH and POST only; these DELETEs take one too."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE" or self.get_request_serializer() is None:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


NO_COVER_GIVEN = object()


def as_api_errors(error):
    """The functions' Django errors as DRF's: 400 with the messages under their fields, 403."""
    if isinstance(error, PermissionDenied):
        return exceptions.PermissionDenied(str(error))
    return exceptions.ValidationError(error.message_dict)


@extend_schema_view(
    list=extend_schema(
        summary="List albums",
        description="Albums you may see, newest first: public ones, yours and those you are a member of.",
        parameters=[LINK_HEADER],
        responses=with_errors({200: AlbumSerializer(many=True)}, 401, 404, 503),
    ),
    create=extend_schema(
        summary="Create an album",
        description="`title`, `description` and `visibility` (default GALLERY_DEFAULT_VISIBILITY); you own it.",
        responses=with_errors({201: AlbumSerializer}, 400, 401, 403, 415, 503),
    ),
    retrieve=extend_schema(
        summary="Get an album",
        description="One album with its count, cover and your role; 404 if you may not see it.",
        responses=with_errors({200: AlbumSerializer}, 401, 404, 503),
    ),
    partial_update=extend_schema(
        summary="Change an album",
        description="Its `title`, `description`, `visibility` or `cover` (a photo id or null). Owner and staff.",
        responses=with_errors({200: AlbumSerializer}, 400, 401, 403, 404, 415, 503),
    ),
    destroy=extend_schema(
        summary="Delete an album",
        description="Deletes the album and its share links; its photos stay. Owner and staff.",
        responses=with_errors({204: None}, 401, 403, 404, 503),
    ),
)
class AlbumViewSet(viewsets.ModelViewSet):
    """Albums you may see, newest first: public ones, yours and those you are a member of."""

    serializer_class = AlbumSerializer
    permission_classes = [AlbumPermission]
    pagination_class = LinkHeaderCursorPagination
    schema = BodyOnDeleteSchema()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        return contents.seen_by(Album.objects.visible_to(user).select_related("owner"), user)

    def paginate_queryset(self, queryset):
        return contents.attach_covers(super().paginate_queryset(queryset))

    def get_object(self):
        return contents.attach_covers([super().get_object()])[0]

    def perform_create(self, serializer):
        self.save_album(serializer, owner=self.request.user)

    def perform_update(self, serializer):
        self.save_album(serializer)

    def save_album(self, serializer, **fields):
        """Save the album and its cover (which must be one of its photos) together, then answer it as now seen."""
        cover = serializer.validated_data.pop("cover_id", NO_COVER_GIVEN)
        with transaction.atomic():
            album = serializer.save(**fields)
            if cover is not NO_COVER_GIVEN:
                try:
                    contents.set_cover(album, cover, self.request.user)
                except (PermissionDenied, ValidationError) as error:
                    raise as_api_errors(error) from None
        serializer.instance = self.as_seen(album)

    def as_seen(self, album):
        """The album again, with its count, cover and role as the requesting user sees them now."""
        return contents.attach_covers([self.get_queryset().get(pk=album.pk)])[0]

    @extend_schema(
        summary="List an album's photos",
        methods=["GET"],
        parameters=[LINK_HEADER],
        responses=with_errors({200: PhotoSerializer(many=True)}, 401, 404, 503),
        description="The album's photos that you may see, in the album's order, paged as /api/photos is.",
    )
    @extend_schema(
        summary="Add photos to an album",
        methods=["POST"],
        request=PhotoIdsSerializer,
        responses=with_errors({200: PhotoChangeSerializer}, 400, 401, 403, 404, 415, 503),
        description="Add your photos (any, for staff) at the end, in the order given. Owner and contributors.",
    )
    @extend_schema(
        summary="Remove photos from an album",
        methods=["DELETE"],
        request=PhotoIdsSerializer,
        responses=with_errors({200: PhotoChangeSerializer}, 400, 401, 403, 404, 415, 503),
        description="Take photos out of the album; they are not deleted. Owner (any), contributors (their own).",
    )
    @action(detail=True, methods=["get", "post", "delete"], pagination_class=AlbumOrderPagination)
    def photos(self, request, pk=None):
        album = self.get_object()
        if request.method == "GET":
            photos = contents.photos_in(album, Photo.objects.visible_to(request.user).select_related("owner"))
            page = self.paginate_photos(photos)
            return self.get_paginated_response(PhotoSerializer(page, many=True).data)
        ids = PhotoIdsSerializer(data=request.data)
        ids.is_valid(raise_exception=True)
        change = contents.add_photos if request.method == "POST" else contents.remove_photos
        try:
            changed = change(album, ids.validated_data["photo_ids"], request.user)
        except (PermissionDenied, ValidationError) as error:
            raise as_api_errors(error) from None
        return Response({"changed": changed, "photo_count": album.entries.count()})

    def paginate_photos(self, photos):
        # The action's paginator: the viewset's own paginate_queryset attaches album covers.
        return self.paginator.paginate_queryset(photos, self.request, view=self)

    @extend_schema(
        summary="List an album's members",
        methods=["GET"],
        responses=with_errors({200: MemberSerializer(many=True)}, 401, 404, 503),
        description="The album's members; seen by its owner, staff and its members.",
    )
    @extend_schema(
        summary="Add or change an album member",
        methods=["POST"],
        request=MemberSerializer,
        responses=with_errors({200: MemberSerializer}, 400, 401, 403, 404, 415, 503),
        description="Add a user as viewer or contributor, or change their role. Owner and staff.",
    )
    @extend_schema(
        summary="Remove an album member",
        methods=["DELETE"],
        request=MemberRemovalSerializer,
        responses=with_errors({204: None}, 400, 401, 403, 404, 415, 503),
        description="Take a user out of the album. Owner and staff.",
    )
    @action(detail=True, methods=["get", "post", "delete"], pagination_class=None)
    def members(self, request, pk=None):
        album = self.get_object()
        role = album.role_of(request.user)
        if role is None:
            raise exceptions.NotFound()  # as if there were no such list
        if request.method == "GET":
            memberships = album.memberships.select_related("user")
            return Response(MemberSerializer(memberships, many=True).data)
        if role != "owner":
            raise exceptions.PermissionDenied("Only the album's owner changes its members.")
        if request.method == "DELETE":
            removal = MemberRemovalSerializer(data=request.data)
            removal.is_valid(raise_exception=True)
            album.memberships.filter(user=removal.validated_data["user"]).delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        member = MemberSerializer(data=request.data)
        member.is_valid(raise_exception=True)
        user = member.validated_data["user"]
        if user.pk == album.owner_id:
            raise exceptions.ValidationError({"user": ["The owner is not a member of their own album."]})
        membership, _ = AlbumMember.objects.update_or_create(
            album=album, user=user, defaults={"role": member.validated_data.get("role", "viewer")}
        )
        return Response(MemberSerializer(membership).data)
