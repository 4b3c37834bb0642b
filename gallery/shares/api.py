"""The share links API: /api/share-links (list, create) and /api/share-links/{id} (get, patch, delete = revoke)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from gallery.api import LINK_HEADER, with_errors
from gallery.pagination import LinkHeaderCursorPagination
from gallery.shares.models import ShareLink
from gallery.shares.serializers import ShareLinkSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List share links",
        description="Links to your albums and photos (staff: all), newest first, with their views and expiry.",
        parameters=[LINK_HEADER],
        responses=with_errors({200: ShareLinkSerializer(many=True)}, 401, 403, 404, 503),
    ),
    create=extend_schema(
        summary="Create a share link",
        description=(
            "Share one `album` or one `photo` of yours: `expires_in_days` (1, 7, 30 or null), `password`, "
            "`allow_download`, `label`. The answer carries the link's full `url`."
        ),
        responses=with_errors({201: ShareLinkSerializer}, 400, 401, 403, 415, 503),
    ),
    retrieve=extend_schema(
        summary="Get a share link",
        description="One of your links (staff: any), with its views and last view.",
        responses=with_errors({200: ShareLinkSerializer}, 401, 403, 404, 503),
    ),
    partial_update=extend_schema(
        summary="Change a share link",
        description="Its label, expiry, password (empty: none) or allow_download; a new password forgets old sessions.",
        responses=with_errors({200: ShareLinkSerializer}, 400, 401, 403, 404, 415, 503),
    ),
    destroy=extend_schema(
        summary="Revoke a share link",
        description=(
            "Its pages and images answer 404 at once; image URLs handed out expire within GALLERY_SHARE_URL_SECONDS."
        ),
        responses=with_errors({204: None}, 401, 403, 404, 503),
    ),
)
class ShareLinkViewSet(viewsets.ModelViewSet):
    """Links to your albums and photos (everyone's, for staff), newest first. Deleting one revokes it at once."""

    serializer_class = ShareLinkSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = LinkHeaderCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return ShareLink.objects.managed_by(self.request.user).select_related("album", "photo")
