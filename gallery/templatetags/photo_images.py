"""Template tags for a photo's images: the srcset of its renditions, directly or through a share link, and its
tile's shape in the justified grid (gallery.layout) and colour before it loads (gallery.tile_colours)."""

from django import template
from django.urls import reverse

from gallery import layout, tile_colours

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


@register.filter
def ratio_class(photo):
    """The class (in static/gallery/tiles.css) of the photo's aspect ratio: "ar-<n>"."""
    return f"ar-{layout.ratio_class(photo.width, photo.height)}"


@register.filter
def tile_sizes(photo):
    """The `sizes` of the photo's tile image in the justified grid."""
    return layout.tile_sizes(photo.width, photo.height)


@register.filter
def colour_class(photo):
    """The class (in static/gallery/tiles.css) of the photo's average colour, "bg-<rgb>"; "" for none."""
    return tile_colours.colour_class(photo.average_colour)
