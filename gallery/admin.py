"""The Django admin for photos: browse, search, edit titles, delete (the S3 object follows)."""

from django.contrib import admin

from gallery.models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "width", "height", "size", "content_type", "created_at"]
    list_filter = ["created_at", "content_type"]
    search_fields = ["title", "description", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = ["image", "width", "height", "size", "content_type", "created_at", "owner"]
    fields = ["image", "title", "description", "owner", "width", "height", "size", "content_type", "created_at"]

    def has_add_permission(self, request):
        # Uploads go through the API's validation; an admin add form that shares it is still to come.
        return False
