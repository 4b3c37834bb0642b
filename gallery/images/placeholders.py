"""A photo's placeholder, painted while its thumbnail loads: a ThumbHash (PyPI `thumbhash`) and its average colour."""

import base64

import thumbhash
from PIL import Image

from gallery.images.renditions import SWAPS_AXES, fit_within, viewable

# ThumbHash keeps only the low frequencies of an image of up to 100 x 100; the pure-Python encoder's time grows
# with the pixels, and 48 x 48 gives the same 20-odd bytes some 20 times faster than 100 x 100 (30 ms a photo).
PLACEHOLDER_BOX = 48
# thumbhash 0.1.2 fails on an image with transparency (its alpha path rounds a tuple), so transparent pixels are
# flattened onto the colour of a tile before it is painted (site.css's .tile__link).
TILE_BACKGROUND = (228, 226, 220)


def placeholder(image):
    """(ThumbHash in base64, average colour as "#rrggbb") of a decoded DetectedImage, upright."""
    width, height = fit_within((image.width, image.height), PLACEHOLDER_BOX)
    # The pixels, before they are turned upright, are the other way round when turning swaps the axes.
    size = (height, width) if image.transpose in SWAPS_AXES else (width, height)
    small = viewable(image.pixels.resize(size, Image.Resampling.BOX))
    if image.transpose is not None:
        small = small.transpose(image.transpose)
    rgba = Image.alpha_composite(Image.new("RGBA", small.size, TILE_BACKGROUND), small.convert("RGBA"))
    hashed = thumbhash.rgba_to_thumb_hash(rgba.width, rgba.height, list(rgba.tobytes()))
    red, green, blue, _ = thumbhash.thumb_hash_to_average_rgba(hashed)
    colour = "#" + "".join(f"{round(max(0.0, min(1.0, channel)) * 255):02x}" for channel in (red, green, blue))
    return base64.b64encode(bytes(hashed)).decode(), colour
