"""The Django admin for photos: browse with previews, search, edit titles, add through the API's validation, move
to the trash, restore and delete forever."""

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from gallery.forms import PhotoUploadForm
from gallery.images import THUMBNAIL
from gallery.library import trash
from gallery.models import Photo


class InTrashFilter(admin.SimpleListFilter):
    title = "in the trash"
    parameter_name = "trashed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(trashed_at__isnull=self.value() == "no")
        return queryset


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["preview", "title", "owner", "file_size", "dimensions", "taken_at", "created_at", "trashed_at"]
    list_display_links = ["preview", "title"]
    list_filter = [InTrashFilter, "favorite", "created_at", "content_type", "camera_make"]
    search_fields = ["title", "description", "owner__username", "camera_make", "camera_model", "original_filename"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    # Deleting is moving to the trash here too; delete_forever empties it.
    actions = ["move_to_trash", "restore", "delete_forever"]
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
        "original_filename",
        "checksum",
        "created_at",
        "has_renditions",
        "taken_at",
        "taken_at_offset",
        "taken_at_corrected",
        "camera_make",
        "camera_model",
        "lens",
        "exposure_time",
        "f_number",
        "iso",
        "focal_length",
        "favorite",
        "trashed_at",
    ]
    # What the photo's file and upload determined; only the title and description are edited here (its owner
    # corrects the date taken on the photo page or through the API).
    readonly_fields = [name for name in fields if name not in ("title", "description")]

    def get_queryset(self, request):
        return Photo.all_objects.get_queryset()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            # A new photo comes from a file, checked and stored as the API and the upload page do it.
            kwargs["form"] = type("PhotoAdminUploadForm", (PhotoUploadForm,), {"uploader": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def delete_model(self, request, obj):
        """The change page's Delete: to the trash, as everywhere (delete_forever empties it)."""
        trash.move_to_trash(Photo.all_objects.filter(pk=obj.pk))

    @admin.action(description="Move the selected photos to the trash", permissions=["delete"])
    def move_to_trash(self, request, queryset):
        moved = trash.move_to_trash(queryset.filter(trashed_at=None))
        self.message_user(request, f"{len(moved)} photos moved to the trash.", messages.SUCCESS)

    @admin.action(description="Restore the selected photos from the trash", permissions=["change"])
    def restore(self, request, queryset):
        restored = trash.restore(queryset.in_trash())
        self.message_user(request, f"{len(restored)} photos restored.", messages.SUCCESS)

    @admin.action(description="Delete the selected photos in the trash forever", permissions=["delete"])
    def delete_forever(self, request, queryset):
        purged = trash.purge(queryset.in_trash())
        self.message_user(request, f"{len(purged)} photos deleted forever, with their files.", messages.SUCCESS)

    def get_fields(self, request, obj=None):
        return PhotoUploadForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            obj.owner = request.user
            obj.save_upload(form.cleaned_data["photo"])

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
