"""What a request through a share link may reach: the link alive, its password passed, the photo part of it.

Every view under /s/<token>/ (the page, each image, the ZIP) goes through live_link and unlocked_link, so the
password is checked on every request, not only on the first page.
"""

import math

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.crypto import constant_time_compare, salted_hmac

from gallery.albums.contents import photos_in
from gallery.counters import count_hit, uncount_hit
from gallery.images import RENDITIONS
from gallery.models import Photo, rendition_key
from gallery.shares.models import ShareLink
from gallery.throttling import HOUR, client_ip

IMAGE_KINDS = (*RENDITIONS, "original")
SESSION_KEY = "share_links"


def live_link(token):
    """The link with this token if it works (not revoked, not expired), else 404."""
    return get_object_or_404(ShareLink.objects.alive().select_related("album", "photo"), token=token)


def password_fingerprint(link):
    """What a session keeps to show it passed this link's password: changing the password invalidates it."""
    return salted_hmac("gallery.shares.unlocked", f"{link.pk}:{link.password}").hexdigest()


def is_unlocked(request, link):
    """Whether this visitor may see the link's content: it has no password, or their session passed it."""
    if not link.password:
        return True
    remembered = request.session.get(SESSION_KEY, {}).get(str(link.pk), "")
    return constant_time_compare(remembered, password_fingerprint(link))


def unlocked_link(request, token):
    """The live link whose content this visitor may see, else 404 (the images and the ZIP ask no password)."""
    link = live_link(token)
    if not is_unlocked(request, link):
        raise Http404("This link needs its password.")
    return link


class TooManyAttempts(Exception):
    def __init__(self, seconds):
        self.seconds = seconds
        super().__init__(f"Too many wrong passwords: try again in {math.ceil(seconds / 60)} minutes.")


def unlock(request, link, password):
    """Check a password typed for the link; remember a right one in the session for this link alone.

    Returns whether it was right; raises TooManyAttempts past the limit of wrong ones, right or not.
    """
    # Every attempt is counted atomically before the password is hashed, so concurrent guesses cannot pass the
    # limit; a right one is taken back, so only wrong passwords spend it.
    key = f"share_password:{link.pk}:{client_ip(request)}"
    hit = count_hit(key, HOUR)
    if hit.count > settings.GALLERY_SHARE_PASSWORD_ATTEMPTS_PER_HOUR:
        raise TooManyAttempts(max(math.ceil(hit.seconds_left), 1))
    if not link.check_password(password or ""):
        return False
    uncount_hit(key)
    request.session.setdefault(SESSION_KEY, {})[str(link.pk)] = password_fingerprint(link)
    request.session.modified = True
    return True


def shared_photos(link):
    """The photos a link shows, in their order: the album's (private ones too: that is what links are for)."""
    photos = Photo.objects.select_related("owner")
    if link.album_id:
        return photos_in(link.album, photos)
    return photos.filter(pk=link.photo_id)


def shared_photo(link, photo_id):
    """One photo the link shows, else 404: an id outside the shared album is as unknown as a wrong one."""
    return get_object_or_404(shared_photos(link), pk=photo_id)


def image_key(link, photo, kind):
    """The object key a link serves for `kind`, else 404: no original unless the link offers originals."""
    if kind not in IMAGE_KINDS:
        raise Http404("No such image.")
    if kind != "original" and photo.is_ready:
        return rendition_key(photo.image.name, kind)
    if link.offers_originals:
        # For "original", and for the renditions of a photo that has none yet (the original stands in).
        return photo.image.name
    raise Http404("This link does not offer originals.")


def image_url(link, photo, kind):
    """A pre-signed URL of the image, valid for GALLERY_SHARE_URL_SECONDS at most."""
    return photo.image.storage.short_lived_url(image_key(link, photo, kind), settings.GALLERY_SHARE_URL_SECONDS)
