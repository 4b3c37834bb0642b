"""The Django admin for photos: browse with previews, search, edit titles, add through the API's validation, move
to the trash, restore and delete forever, see which photos failed processing and why, and queue them again.

Albums, share links and upload sessions have theirs in their packages, registered by the imports at the end.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat, pluralize
from django.urls import reverse
from django.utils.html import format_html

from gallery.forms import PhotoEditForm, PhotoUploadForm
from gallery.images import THUMBNAIL
from gallery.jobs.photos import reprocess
from gallery.library import trash
from gallery.models import Photo

# What the admin's change form edits, as the photo page's does (PhotoEditForm); the rest is read only.
EDITABLE_FIELDS = ("title", "description", "visibility", "taken_at", "taken_at_offset")


def moves_to_trash(photo):
    """Whether deleting the photo moves it to the trash (on, and it is not there yet) rather than deleting it."""
    return trash.trash_enabled() and photo.trashed_at is None


def photos(ids):
    """'1 photo', '2 photos': the admin's messages count what an action changed."""
    return f"{len(ids)} photo{pluralize(len(ids))}"


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
    list_display = [
        *("preview", "title", "owner", "visibility", "state", "file_size", "dimensions"),
        *("taken_at", "created_at", "trashed_at"),
    ]
    list_display_links = ["preview", "title"]
    list_filter = [InTrashFilter, "visibility", "state", "favorite", "created_at", "content_type", "camera_make"]
    search_fields = ["title", "description", "owner__username", "camera_make", "camera_model", "original_filename"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    # Deleting is moving to the trash here too (the change page's Delete button as well); delete_forever empties it.
    actions = ["move_to_trash", "restore", "delete_forever", "retry_processing"]
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
        "original_filename",
        "checksum",
        "created_at",
        "state",
        "processing_error",
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
    # What the photo's file, upload and processing determined is read only (see EDITABLE_FIELDS).
    readonly_fields = [name for name in fields if name not in EDITABLE_FIELDS]
    delete_confirmation_template = "admin/gallery/photo/delete_confirmation.html"

    def get_queryset(self, request):
        # The one visibility rule (all photos for staff, who alone reach the admin), the trash's photos included
        # for those who may take them out of it.
        photos = Photo.all_objects.openable_by(request.user)
        ordering = self.get_ordering(request)
        return photos.order_by(*ordering) if ordering else photos

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        # A new photo comes from a file, checked and stored as the API and the upload page do it (a duplicate of
        # the uploader's refused beside the field); an edit is the photo page's.
        if obj is None:
            kwargs["form"] = type("PhotoAdminUploadForm", (PhotoUploadForm,), {"uploader": request.user})
        else:
            kwargs["form"] = PhotoEditForm
        return super().get_form(request, obj, change, **kwargs)

    def delete_model(self, request, obj):
        """The change page's Delete: to the trash, as everywhere; forever for a photo already in it."""
        if moves_to_trash(obj):
            trash.move_to_trash(Photo.all_objects.filter(pk=obj.pk))
        else:
            trash.purge(Photo.all_objects.filter(pk=obj.pk))

    def get_deleted_objects(self, objs, request):
        # Moving to the trash deletes nothing, so no related row (album entries, share links) needs a permission.
        if not all(moves_to_trash(obj) for obj in objs):
            return super().get_deleted_objects(objs, request)
        return [str(obj) for obj in objs], {Photo._meta.verbose_name_plural: len(objs)}, set(), []

    def delete_view(self, request, object_id, extra_context=None):
        context = {"trash_enabled": trash.trash_enabled(), "trash_days": settings.GALLERY_TRASH_DAYS}
        return super().delete_view(request, object_id, {**context, **(extra_context or {})})

    def response_delete(self, request, obj_display, obj_id):
        if not Photo.all_objects.filter(pk=obj_id).exists() or IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        # Django's own message would say the photo was deleted.
        self.message_user(request, f"“{obj_display}” was moved to the trash.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:gallery_photo_changelist", current_app=self.admin_site.name))

    @admin.action(description="Move the selected photos to the trash", permissions=["delete"])
    def move_to_trash(self, request, queryset):
        moved = trash.move_to_trash(queryset.filter(trashed_at=None))
        self.message_user(request, f"{photos(moved)} moved to the trash.", messages.SUCCESS)

    @admin.action(description="Restore the selected photos from the trash", permissions=["delete"])
    def restore(self, request, queryset):
        restored = trash.restore(queryset.in_trash())
        self.message_user(request, f"{photos(restored)} restored.", messages.SUCCESS)

    @admin.action(description="Delete the selected photos in the trash forever", permissions=["delete"])
    def delete_forever(self, request, queryset):
        purged = trash.purge(queryset.in_trash())
        self.message_user(request, f"{photos(purged)} deleted forever, with their files.", messages.SUCCESS)

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
from gallery.direct_uploads import admin as upload_admin  # noqa: E402, F401
from gallery.shares import admin as share_admin  # noqa: E402, F401
