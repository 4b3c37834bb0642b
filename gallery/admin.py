"""The Django admin for photos: browse with previews, search, edit titles, add through the API's validation, delete."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from gallery.forms import PhotoUploadForm
from gallery.images import THUMBNAIL
from gallery.models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["preview", "title", "owner", "file_size", "dimensions", "created_at"]
    list_display_links = ["preview", "title"]
    list_filter = ["created_at", "content_type"]
    search_fields = ["title", "description", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = [
        "preview",
        "image",
        "title",
        "description",
        "owner",
        "width",
        "height",
        "size",
        "content_type",
        "created_at",
        "has_renditions",
    ]
    # What the photo's file and upload determined; only the title and description are edited here.
    readonly_fields = [name for name in fields if name not in ("title", "description")]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            # A new photo comes from a file, checked and stored as the API and the upload page do it.
            kwargs["form"] = PhotoUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return PhotoUploadForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            form.save(uploader=request.user)

    @admin.display(description="Preview")
    def preview(self, photo):
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
