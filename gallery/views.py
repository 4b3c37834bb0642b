"""The site's pages (gallery, photo, upload, sign-up) and the health check; albums and shares have their own.

Views read the request and hand the work to the forms and the model, the same code the API and the admin use.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from gallery.albums.views import albums_to_add_to
from gallery.direct_uploads import bucket as direct_upload_bucket
from gallery.direct_uploads.sessions import max_direct_upload_bytes
from gallery.forms import PhotoEditForm, PhotoUploadForm, SignupForm
from gallery.images import ACCEPTED_NAMES
from gallery.library import trash
from gallery.library.duplicates import DuplicatePhoto
from gallery.library.pages import listed
from gallery.models import Photo
from gallery.storage import StorageUnavailable, check_bucket
from gallery.throttling import UPLOAD_THROTTLES, throttle_wait, wait_message
from gallery.uploads import max_upload_bytes

logger = logging.getLogger(__name__)


@require_safe
def gallery(request):
    """The photos you may see, newest first by date taken (?order=uploaded: by upload time), a page at a time,
    with the API's cursor in the next and previous links, and the selection's toolbar."""
    context = listed(request, Photo.objects.visible_to(request.user))
    return render(request, "gallery/gallery.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def photo_detail(request, pk):
    """One photo, large, with what is known about it; whom Photo.can_be_changed_by allows may edit its texts and
    date taken. One in the trash is seen only by those who may take it out (PhotoQuerySet.openable_by)."""
    user = request.user
    photo = get_object_or_404(Photo.all_objects.openable_by(user).select_related("owner"), pk=pk)
    can_change = photo.can_be_changed_by(request.user)
    form = PhotoEditForm(instance=photo) if can_change else None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Only the photo's owner, or staff allowed to change photos, can change it.")
        form = PhotoEditForm(request.POST, instance=photo)
        if form.is_valid():
            form.save()
            messages.success(request, "Your changes are saved.")
            return redirect(photo)
    in_trash = photo.trashed_at is not None
    context = {
        "photo": photo,
        "form": form,
        "can_change": can_change,
        "can_delete": photo.can_be_deleted_by(request.user),
        "albums": photo.albums.visible_to(request.user).order_by("title"),
        "selection_albums": (
            albums_to_add_to(request.user).exclude(entries__photo=photo) if can_change and not in_trash else None
        ),
        "purge_date": trash.purge_date(photo) if in_trash else None,
    }
    return render(request, "gallery/photo_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def photo_delete(request, pk):
    """Ask, then move a photo to the trash (or delete it, objects and all, when GALLERY_TRASH_DAYS is 0)."""
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
    if not photo.can_be_deleted_by(request.user):
        raise PermissionDenied("Only the photo's owner, or staff allowed to delete photos, can delete it.")
    if request.method == "POST":
        trash.move_to_trash(Photo.objects.filter(pk=photo.pk))
        done = "Moved “{}” to the trash." if trash.trash_enabled() else "Deleted “{}”."
        messages.success(request, done.format(photo))
        return redirect("gallery")
    context = {"photo": photo, "trash_enabled": trash.trash_enabled(), "trash_days": settings.GALLERY_TRASH_DAYS}
    return render(request, "gallery/photo_confirm_delete.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def upload(request):
    """The upload form: a plain multipart POST of one photo, which upload.js turns into a multi-file drop zone.

    An invalid form is shown again with 200, as Django's generic views do; a storage failure with 503, and an
    upload over the hourly limits (shared with the API) with 429.
    """
    if not Photo.can_be_uploaded_by(request.user):
        if request.method == "POST":
            raise PermissionDenied("Log in to upload photos.")
        return redirect_to_login(request.get_full_path())
    if request.method != "POST":
        return render_upload_page(request, PhotoUploadForm())
    if (wait := throttle_wait(request, UPLOAD_THROTTLES)) is not None:
        # Over the limit the file is not even looked at; what was typed is kept.
        messages.error(request, wait_message(wait))
        typed = {
            field: request.POST[field] for field in ("title", "description", "visibility") if field in request.POST
        }
        form = PhotoUploadForm(initial=typed)
        return render_upload_page(request, form, status=429, headers={"Retry-After": str(wait)})
    form = PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_upload_page(request, form)
    try:
        photo = form.save(uploader=request.user)
    except StorageUnavailable as error:
        form.add_error(None, str(error))
        return render_upload_page(request, form, status=503)
    except DuplicatePhoto as duplicate:
        where = " (in the trash)" if duplicate.photo.trashed_at else ""
        messages.info(request, f"This photo is already in your library{where}: nothing was uploaded.")
        return redirect(duplicate.photo)
    messages.success(request, f"Uploaded “{photo}”.")
    return redirect(photo)


def render_upload_page(request, form, status=200, headers=None):
    context = {"form": form, "max_upload_bytes": max_upload_bytes(), "max_upload_mb": settings.GALLERY_MAX_UPLOAD_MB}
    if direct_upload_bucket.offered_to(request):
        # upload.js then sends the files straight to the bucket (upload-direct.js), up to the larger limit.
        limit = settings.GALLERY_MAX_DIRECT_UPLOAD_MB
        context.update(
            direct_uploads=True,
            max_upload_bytes=max_direct_upload_bytes(),
            max_upload_mb=limit,
            direct_help=f"{ACCEPTED_NAMES}, up to {limit} MB each.",
        )
    response = render(request, "gallery/upload.html", context, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """Create an account and log in with it; switched off by GALLERY_OPEN_SIGNUP=false."""
    if not settings.GALLERY_OPEN_SIGNUP:
        raise Http404("Sign-up is closed on this site.")
    if request.user.is_authenticated:
        return redirect("gallery")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your account is ready.")
        return redirect("upload")
    return render(request, "registration/signup.html", {"form": form})


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the bucket answer; 503 naming what failed otherwise."""
    checks = {"database": "ok", "storage": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("health check: database unavailable: %s", error)
        checks["database"] = "unavailable"
    try:
        check_bucket()
    except StorageUnavailable:
        checks["storage"] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
