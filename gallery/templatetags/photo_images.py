"""Template tags for a photo's images: the srcset of its renditions, directly or through a share link."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def rendition_url(photo, name, share=None):
    """The URL of one of a photo's renditions: pre-signed, or the share link's image URL when seen through one."""
    if share:  # an undefined variable in a template is ""
        return reverse("share-image", args=[share.token, photo.pk, name])
    return photo.renditions[name].url


@register.simple_tag
def srcset(photo, names, share=None):
    """The srcset of the photo's renditions among the comma-separated `names` that are made, as "URL 400w, ..."."""
    renditions = photo.renditions
    return ", ".join(
        f"{rendition_url(photo, name, share)} {renditions[name].width}w"
        for name in names.split(",")
        if name in renditions
    )
