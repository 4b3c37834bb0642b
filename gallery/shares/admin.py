"""The Django admin for share links: who shares what until when, how often seen; deleting one revokes it."""

from django.contrib import admin

from gallery.shares.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "album", "photo", "created_by", "expires_at", "views", "last_viewed_at"]
    list_select_related = ["album", "photo", "created_by"]
    search_fields = ["label", "album__title", "photo__title", "created_by__username"]
    # The token is the link itself and the password is a hash: neither is shown or edited here.
    fields = ["label", "album", "photo", "expires_at", "allow_download", "created_by", "views", "last_viewed_at"]
    readonly_fields = ["album", "photo", "created_by", "views", "last_viewed_at"]

    def has_add_permission(self, request):
        return False  # links are made on the site or through the API, with their options checked
