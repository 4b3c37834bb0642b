"""The album pages: the list, one album's grid, create, edit (with its members), delete, and the grid's actions.

Each view reads the request and calls gallery.albums.contents, as the API does. An album someone may not see is a
404; one they see but may not change answers 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from gallery.albums import contents
from gallery.albums.api import AlbumOrderPagination
from gallery.albums.forms import AlbumForm, MemberForm, PhotoSelectionForm
from gallery.albums.models import Album, Role
from gallery.models import Photo
from gallery.pagination import LinkHeaderCursorPagination
from gallery.zipdownload import archive_name, zip_response


def cursor_page(paginator, queryset, request):
    """One page of `queryset` by the API's cursor in ?cursor=, with the paginator's links; 404 for a bad cursor."""
    try:
        return paginator.paginate_queryset(queryset, Request(request))
    except NotFound:
        raise Http404("No such page.") from None


def visible_album(request, pk):
    return get_object_or_404(Album.objects.visible_to(request.user), pk=pk)


def albums_to_add_to(user):
    """The albums a user's selection can go to: their own and those they contribute to."""
    if not user.is_authenticated:
        return Album.objects.none()
    contributing = Q(memberships__user=user, memberships__role=Role.CONTRIBUTOR)
    return Album.objects.filter(Q(owner=user) | contributing).distinct().order_by("title")


def back(request, default):
    """Where the form came from (its `next` field), if it is this site, else `default`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(default)


def report(request, error):
    """A refused change as a message on the page the visitor goes back to."""
    if isinstance(error, ValidationError):
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(error))


@require_safe
def album_list(request):
    """Albums the visitor may see: theirs, those they are a member of and public ones, newest first."""
    user = request.user
    paginator = LinkHeaderCursorPagination()
    albums = cursor_page(
        paginator, contents.seen_by(Album.objects.visible_to(user).select_related("owner"), user), request
    )
    return render(
        request,
        "albums/album_list.html",
        {
            "albums": contents.attach_covers(albums),
            "next_url": paginator.get_next_link(),
            "previous_url": paginator.get_previous_link(),
        },
    )


@require_safe
def album_detail(request, pk):
    """One album: its title, description, count and cover, and its photos in order as the gallery shows them."""
    user = request.user
    album = get_object_or_404(contents.seen_by(Album.objects.visible_to(user).select_related("owner"), user), pk=pk)
    contents.attach_covers([album])
    paginator = AlbumOrderPagination()
    photos = cursor_page(paginator, contents.photos_in(album, Photo.objects.visible_to(user)), request)
    role = album.role_of(user)
    takes_photos = role in ("owner", Role.CONTRIBUTOR)
    for previous, photo, following in zip([None, *photos], photos, [*photos[1:], None], strict=False):
        photo.selectable = takes_photos and (role == "owner" or photo.can_be_changed_by(user))
        # The arrow buttons put a photo in its neighbour's place.
        photo.previous_id, photo.next_id = previous and previous.pk, following and following.pk
    return render(
        request,
        "albums/album_detail.html",
        {
            "album": album,
            "photos": photos,
            "role": role,
            "takes_photos": takes_photos,
            "can_change": role == "owner",
            "selection_albums": albums_to_add_to(user).exclude(pk=album.pk),
            "next_url": paginator.get_next_link(),
            "previous_url": paginator.get_previous_link(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def album_create(request):
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        album = form.save()
        messages.success(request, f"Created the album “{album}”.")
        return redirect(album)
    return render(request, "albums/album_form.html", {"form": form})


def changeable_album(request, pk):
    album = visible_album(request, pk)
    if not album.can_be_changed_by(request.user):
        raise PermissionDenied("Only the album's owner can change it.")
    return album


@require_http_methods(["GET", "HEAD", "POST"])
def album_edit(request, pk):
    """The album's title, description and visibility, and its members. Owner and staff."""
    album = changeable_album(request, pk)
    form = AlbumForm(request.POST or None, instance=album)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your changes are saved.")
        return redirect(album)
    return render_edit_page(request, album, form, MemberForm(album))


def render_edit_page(request, album, form, member_form, status=200):
    memberships = album.memberships.select_related("user")
    context = {"album": album, "form": form, "member_form": member_form, "memberships": memberships}
    return render(request, "albums/album_form.html", context, status=status)


@require_POST
def album_members(request, pk):
    """Add a member or change their role (username, role), or remove one (remove=<user id>). Owner and staff."""
    album = changeable_album(request, pk)
    if "remove" in request.POST:
        removed = album.memberships.filter(user_id=request.POST["remove"]).select_related("user").first()
        if removed:
            removed.delete()
            messages.success(request, f"{removed.user} is no longer a member.")
        return redirect("album-edit", album.pk)
    member_form = MemberForm(album, request.POST)
    if not member_form.is_valid():
        return render_edit_page(request, album, AlbumForm(instance=album), member_form)
    membership = member_form.save()
    messages.success(request, f"{membership.user} is a {membership.role} of this album.")
    return redirect("album-edit", album.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def album_delete(request, pk):
    album = changeable_album(request, pk)
    if request.method == "POST":
        album.delete()
        messages.success(request, f"Deleted the album “{album}”; its photos are still in the gallery.")
        return redirect("albums")
    return render(request, "albums/album_confirm_delete.html", {"album": album})


@require_POST
def add_photos(request):
    """Add the selected photos (photo=<id>, repeated) to the chosen album (album=<id>)."""
    form = PhotoSelectionForm(request.POST, albums=Album.objects.visible_to(request.user))
    if not form.is_valid() or form.cleaned_data["album"] is None:
        messages.error(request, form.errors.get("photo", ["Choose an album to add the photos to."])[0])
        return back(request, "gallery")
    album = form.cleaned_data["album"]
    try:
        added = contents.add_photos(album, form.cleaned_data["photo"], request.user)
    except (PermissionDenied, ValidationError) as error:
        report(request, error)
        return back(request, "gallery")
    messages.success(request, f"Added {added} photo{'s' if added != 1 else ''} to “{album}”.")
    return back(request, album.get_absolute_url())


@require_POST
def remove_photos(request, pk):
    """Take the selected photos out of this album."""
    album = visible_album(request, pk)

    def remove(photo_ids):
        removed = contents.remove_photos(album, photo_ids, request.user)
        return f"Removed {removed} photo{'s' if removed != 1 else ''} from “{album}”."

    return on_selection(request, album, remove)


@require_POST
def set_cover(request, pk):
    """Make the (first) selected photo the album's cover."""
    album = visible_album(request, pk)

    def make_cover(photo_ids):
        contents.set_cover(album, photo_ids[0], request.user)
        return "The album has a new cover."

    return on_selection(request, album, make_cover)


def on_selection(request, album, change):
    """Apply change(photo ids) to the photos selected on the album's page; say what it did or why it would not."""
    form = PhotoSelectionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["photo"][0])
        messages.success(request, change(form.cleaned_data["photo"]))
    except (PermissionDenied, ValidationError) as error:
        report(request, error)
    return back(request, album.get_absolute_url())


@require_POST
def move_photo(request, pk):
    """Put a photo in another's place: move=<photo id>:<other photo id>, from a tile's button or from reorder.js."""
    album = visible_album(request, pk)
    wants_json = request.headers.get("Accept") == "application/json"
    try:
        photo_id, _, target_id = request.POST.get("move", "").partition(":")
        if not (photo_id.isdigit() and target_id.isdigit()):
            raise ValidationError("Say which photo goes where: move=<photo id>:<other photo id>.")
        contents.move_photo(album, int(photo_id), int(target_id), request.user)
    except (PermissionDenied, ValidationError) as error:
        if wants_json:
            status = 403 if isinstance(error, PermissionDenied) else 400
            return JsonResponse({"detail": " ".join(getattr(error, "messages", [str(error)]))}, status=status)
        report(request, error)
    if wants_json:
        return JsonResponse({"detail": "Moved."})
    return back(request, album.get_absolute_url())


@require_safe
def album_download(request, pk):
    """The album's photos that the visitor may see, as a ZIP of their originals, streamed from S3."""
    album = visible_album(request, pk)
    photos = contents.photos_in(album, Photo.objects.visible_to(request.user))
    return zip_response(photos, archive_name(album.title))
