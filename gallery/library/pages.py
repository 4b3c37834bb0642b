"""The library's pages: search, favourites, a person's photos, the trash, and the photo page's star and trash
buttons. Each is a thin view over the same querysets, filters, paginator and functions as the API."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from gallery.albums.views import albums_to_add_to, back, cursor_page
from gallery.library import trash
from gallery.library.actions import set_favorite
from gallery.library.bulk import NoSuchPhotos, NotYourPhotos, changeable_photos, deletable_photos
from gallery.library.filters import ORDERINGS, PhotoFilterSet, ordering_of
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination


def photo_page(request, photos, ordering=ORDERINGS["taken"]):
    """The context of a page of a list of photos: the photos, the next and previous pages' URLs (the API's keyset
    cursor; a bad cursor is a 404), and whether the grid heads each month (in the order of the date taken)."""
    paginator = LinkHeaderCursorPagination(ordering=ordering)
    page = cursor_page(paginator, photos, request)
    return {
        "photos": page,
        "next_url": paginator.get_next_link(),
        "previous_url": paginator.get_previous_link(),
        "month_headings": tuple(ordering) == ORDERINGS["taken"],
    }


def listed(request, photos):
    """A page of `photos` in the order ?order= asks for (date taken unless it is "uploaded"), each photo the user
    may change selectable, whether the selection's toolbar is shown (any is) and the albums it can add them to."""
    context = photo_page(request, photos.select_related("owner"), ordering_of(request.GET))
    for photo in context["photos"]:
        photo.selectable = photo.can_be_changed_by(request.user)
    selecting = any(photo.selectable for photo in context["photos"])
    return {**context, "selecting": selecting, "selection_albums": albums_to_add_to(request.user) if selecting else ()}


@require_safe
def search(request):
    """The search form (PhotoFilterSet, as GET /api/photos takes it) and the photos it finds, newest first."""
    filters = PhotoFilterSet(request.GET or None, queryset=Photo.objects.visible_to(request.user), request=request)
    context = {"filters": filters, "searched": bool(request.GET)}
    if filters.is_bound and filters.is_valid():
        context.update(listed(request, filters.qs))
    return render(request, "gallery/search.html", context)


@require_safe
@login_required
def favourites(request):
    """The photos you starred."""
    context = listed(request, Photo.objects.filter(owner=request.user, favorite=True))
    context.update(heading="Favourites", kind="favourites", unstarred_leave=True)
    return render(request, "gallery/photo_list.html", context)


@require_safe
def owner_photos(request, username):
    """One person's photos, those you may see. A person none of whose photos you may see answers 404, as one who
    does not exist does: the page tells nobody who has an account (their own page is theirs to see, if empty)."""
    owner = get_object_or_404(get_user_model(), username=username)
    context = listed(request, Photo.objects.visible_to(request.user).filter(owner=owner))
    # An empty page: no photo of theirs to see (known without a query of its own).
    if not context["photos"] and owner != request.user:
        raise Http404("No such person.")
    return render(request, "gallery/photo_list.html", {**context, "heading": f"Photos by {owner}", "kind": "owner"})


@require_safe
@login_required
def trash_page(request):
    """Your photos in the trash, most recently deleted first, with restore and delete-forever buttons."""
    photos = Photo.all_objects.trash_of(request.user).select_related("owner")
    context = photo_page(request, photos, ("-trashed_at", "-id"))
    for photo in context["photos"]:
        photo.purge_date = trash.purge_date(photo)
    return render(request, "gallery/trash.html", {**context, "trash_days": settings.GALLERY_TRASH_DAYS})


# The names a form posts photo ids under: photo_ids (the API's, and the photo page's buttons) or photo (the grid's
# checkboxes, which the album actions read too).
PHOTO_ID_FIELDS = ("photo_ids", "photo")


def posted_photos(request, allowed, photos=None):
    """The photos a form posted (PHOTO_ID_FIELDS, one or more), all of which allowed (bulk.changeable_photos or
    deletable_photos) lets the user act on; 404 for any the user cannot see, else PermissionDenied."""
    if not request.user.is_authenticated:
        raise PermissionDenied("Log in to change photos.")
    values = [value for field in PHOTO_ID_FIELDS for value in request.POST.getlist(field)]
    try:
        return allowed(request.user, [int(value) for value in values], photos)
    except (ValueError, NoSuchPhotos):
        raise Http404("No such photo.") from None
    except NotYourPhotos as refused:
        raise PermissionDenied(refused.detail["detail"]) from None


def selection_needed(view):
    """A selection's button with nothing ticked goes back saying so, as the album actions do."""

    @wraps(view)
    def checked(request):
        if not any(request.POST.getlist(field) for field in PHOTO_ID_FIELDS):
            messages.error(request, "Select one or more photos first.")
            return back(request, "gallery")
        return view(request)

    return checked


def count(ids):
    return f"{len(ids)} photo{'' if len(ids) == 1 else 's'}"


@require_POST
@selection_needed
def favourite(request):
    """Star (favorite=1) or unstar photos."""
    starred = request.POST.get("favorite") == "1"
    changed = count(set_favorite(posted_photos(request, changeable_photos), starred))
    messages.success(request, f"Added {changed} to your favourites." if starred else f"Unstarred {changed}.")
    return back(request, "favourites")


@require_POST
@selection_needed
def move_to_trash(request):
    """Move the posted photos to the trash (delete them when the trash is off): the selection's button."""
    moved = trash.move_to_trash(posted_photos(request, deletable_photos))
    done = "Moved {} to the trash." if trash.trash_enabled() else "Deleted {}."
    messages.success(request, done.format(count(moved)))
    return back(request, "gallery")


@require_POST
def restore(request):
    restored = trash.restore(posted_photos(request, deletable_photos, Photo.all_objects.in_trash()))
    messages.success(request, f"Restored {count(restored)}.")
    return back(request, "trash")


@require_POST
def purge(request):
    """Delete forever the posted photos in the trash, or with all=1 the whole of your trash."""
    if request.POST.get("all") == "1":
        if not request.user.is_authenticated:
            raise PermissionDenied("Log in to change photos.")
        photos = Photo.all_objects.trash_of(request.user)
    else:
        photos = posted_photos(request, deletable_photos, Photo.all_objects.in_trash())
    purged = trash.purge(photos)
    messages.success(request, f"Deleted {count(purged)} forever.")
    return redirect("trash")
