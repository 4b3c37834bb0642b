"""The Django admin for photos: browse with previews, search, edit titles, add through the API's validation, delete,
see which photos failed processing and why, and queue them again.

Albums and share links have theirs in their packages, registered by the imports at the end.
"""

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from gallery.forms import PhotoEditForm, PhotoUploadForm
from gallery.images import THUMBNAIL
from gallery.jobs.photos import reprocess
from gallery.models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["preview", "title", "owner", "visibility", "state", "file_size", "dimensions", "created_at"]
    list_display_links = ["preview", "title"]
    list_filter = ["visibility", "state", "created_at", "content_type"]
    search_fields = ["title", "description", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["retry_processing"]
    fields = [
        "preview",
        "image",
        "title",
        "description",
        "visibility",
        "owner",
        "width",
        "height",
        "size",
        "content_type",
        "created_at",
        "state",
        "processing_error",
    ]
    # What the photo's file, upload and processing determined; only the title, description and visibility are
    # edited here.
    readonly_fields = [name for name in fields if name not in ("title", "description", "visibility")]

    def get_queryset(self, request):
        # The one visibility rule (all photos for staff, who alone reach the admin).
        return super().get_queryset(request) & Photo.objects.visible_to(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # A new photo comes from a file, checked and stored as the API and the upload page do it; an edit is the
        # photo page's.
        kwargs["form"] = PhotoUploadForm if obj is None else PhotoEditForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return PhotoUploadForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    # A photo's own rules decide, as on the API and the pages: its owner, and staff with the model permission.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request) if obj is None else obj.can_be_changed_by(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request) if obj is None else obj.can_be_deleted_by(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            form.save(uploader=request.user)

    @admin.action(description="Retry processing the selected photos")
    def retry_processing(self, request, queryset):
        queued = reprocess(queryset)
        self.message_user(
            request, f"Queued {queued} of {len(queryset)} photos; the others were queued already.", messages.SUCCESS
        )

    @admin.display(description="Preview")
    def preview(self, photo):
        if not photo.is_ready:
            return photo.get_state_display().capitalize()
        height = 64
        width = round(photo.width * height / photo.height) if photo.height else height
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="" loading="lazy">',
            photo.renditions[THUMBNAIL].url,
            width,
            height,
        )

    @admin.display(description="Size", ordering="size")
    def file_size(self, photo):
        return filesizeformat(photo.size)

    @admin.display(description="Dimensions")
    def dimensions(self, photo):
        return f"{photo.width} × {photo.height}"


from gallery.albums import admin as album_admin  # noqa: E402, F401
from gallery.shares import admin as share_admin  # noqa: E402, F401
