"""The share pages: the owner's list of links (/shares/), making and revoking them, and what a link shows (/s/...).

Every view under /s/<token>/ checks the link on each request through gallery.shares.access.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from gallery.albums.contents import attach_covers, with_cover_and_count
from gallery.albums.models import Album
from gallery.models import Photo
from gallery.shares import access
from gallery.shares.forms import ShareLinkForm, SharePasswordForm
from gallery.shares.models import ShareLink
from gallery.zipdownload import archive_name, zip_response


@login_required
@require_safe
def share_list(request):
    """The links to the visitor's albums and photos: label, what, expiry, views, copy and revoke."""
    links = ShareLink.objects.managed_by(request.user).select_related("album", "photo")
    return render(request, "shares/share_list.html", {"links": links})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def share_create(request):
    """Make a link to ?album=<id> or ?photo=<id>: only their owner (or staff) may."""
    shared = shareable(request)
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = form.save(commit=False)
        link.album, link.photo = (shared, None) if isinstance(shared, Album) else (None, shared)
        link.created_by = request.user
        link.save()
        messages.success(request, f"Made a link to “{shared}”: copy it below.")
        return redirect(f"{redirect('shares').url}#link-{link.pk}")
    context = {"form": form, "shared": shared, "is_album": isinstance(shared, Album)}
    return render(request, "shares/share_form.html", context)


def shareable(request):
    """The album or photo named in the query string, if the visitor may share it; 404 otherwise."""
    for name, model in (("album", Album), ("photo", Photo)):
        pk = request.GET.get(name, "")
        if pk.isdigit():
            candidates = model.objects.all() if request.user.is_staff else model.objects.filter(owner=request.user)
            return get_object_or_404(candidates, pk=pk)
    raise Http404("Say what to share: ?album=<id> or ?photo=<id>.")


@login_required
@require_POST
def share_revoke(request, pk):
    link = get_object_or_404(ShareLink.objects.managed_by(request.user), pk=pk)
    link.delete()
    messages.success(request, f"Revoked “{link}”: it no longer works.")
    return redirect("shares")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def shared(request, token):
    """What a link shares, in the site's look; first its password form, if it has a password."""
    link = access.live_link(token)
    if not access.is_unlocked(request, link):
        return password_page(request, link)
    if request.method == "POST":
        return redirect(link)  # already unlocked: a form sent twice
    ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1, last_viewed_at=timezone.now())
    photos = access.shared_photos(link)
    context = {"link": link, "photos": photos}
    if link.album_id:
        (album,) = attach_covers(list(with_cover_and_count(Album.objects.filter(pk=link.album_id), Photo.objects)))
        context.update(album=album, cover=album.cover_photo)
    else:
        context.update(cover=link.photo, photo=link.photo)
    return render(request, "shares/shared.html", context)


def password_page(request, link):
    """The password form; a right password is remembered for this link in the session, wrong ones are throttled."""
    form = SharePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if access.unlock(request, link, form.cleaned_data["password"]):
                return redirect(link)
            form.add_error("password", "That is not the password of this link.")
        except access.TooManyAttempts as error:
            form.add_error("password", str(error))
            response = render(request, "shares/password.html", {"form": form, "link": link}, status=429)
            response["Retry-After"] = str(error.seconds)
            return response
    return render(request, "shares/password.html", {"form": form, "link": link})


@never_cache
@require_safe
def shared_photo(request, token, photo_id):
    """One photo of a shared album, at its display size."""
    link = access.unlocked_link(request, token)
    photo = access.shared_photo(link, photo_id)
    return render(request, "shares/shared_photo.html", {"link": link, "photo": photo})


@never_cache
@require_safe
def shared_image(request, token, photo_id, kind):
    """Redirect to a short-lived pre-signed URL of one image, after checking the link, its password and the photo."""
    link = access.unlocked_link(request, token)
    photo = access.shared_photo(link, photo_id)
    return redirect(access.image_url(link, photo, kind))


@never_cache
@require_safe
def shared_download(request, token):
    """The shared photos as a ZIP streamed from S3: originals when the link offers them, else display sizes."""
    link = access.unlocked_link(request, token)
    return zip_response(access.shared_photos(link), archive_name(str(link.shared)), originals=link.offers_originals)
