"""The share links API: /api/share-links (list, create) and /api/share-links/{id} (get, patch, delete = revoke)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from gallery.api import LINK_HEADER, LinkHeaderCursorPagination, with_errors
from gallery.shares.models import ShareLink
from gallery.shares.serializers import ShareLinkSerializer


@extend_schema_view(
    list=extend_schema(
        parameters=[LINK_HEADER], responses=with_errors({200: ShareLinkSerializer(many=True)}, 401, 403, 404, 503)
    ),
    create=extend_schema(responses=with_errors({201: ShareLinkSerializer}, 400, 401, 403, 415, 503)),
    retrieve=extend_schema(responses=with_errors({200: ShareLinkSerializer}, 401, 403, 404, 503)),
    partial_update=extend_schema(responses=with_errors({200: ShareLinkSerializer}, 400, 401, 403, 404, 415, 503)),
    destroy=extend_schema(responses=with_errors({204: None}, 401, 403, 404, 503)),
)
class ShareLinkViewSet(viewsets.ModelViewSet):
    """Links to your albums and photos (everyone's, for staff), newest first. Deleting one revokes it at once."""

    serializer_class = ShareLinkSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = LinkHeaderCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return ShareLink.objects.managed_by(self.request.user).select_related("album", "photo")
