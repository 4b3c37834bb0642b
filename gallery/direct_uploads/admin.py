"""The Django admin for upload sessions: whose upload is where (uploading, verifying, done, rejected and why),
read only; the protocol alone changes them."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from gallery.direct_uploads.models import UploadSession


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ["filename", "owner", "state", "file_size", "created_at", "expires_at", "photo"]
    list_filter = ["state", "created_at"]
    list_select_related = ["owner", "photo"]
    search_fields = ["filename", "owner__username", "error"]
    date_hierarchy = "created_at"

    @admin.display(description="Size", ordering="size")
    def file_size(self, session):
        return filesizeformat(session.size)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # seen here, changed only by the protocol and its jobs
