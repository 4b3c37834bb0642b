"""The justified grid's geometry: each tile's aspect-ratio class and the `sizes` its image is shown at.

The grid (static/gallery/site.css's .grid) lays tiles in rows by CSS alone: a tile's flex-grow and base width
are its aspect ratio (times the row height), so a row's tiles grow to fill it and keep one height, each photo in
its own shape, from the stored width and height before any image arrives. The page's Content-Security-Policy
allows no inline style, so a tile gets its ratio from a class of static/gallery/tiles.css, written by
`python -m gallery.layout`: ratios RATIO_STEP apart, so an image is cropped by half a step at most. The same
stylesheet holds the tiles' colour classes (gallery.tile_colours): one render-blocking request, not two.
"""

import math

from gallery.tile_colours import tile_colours_css

RATIO_STEP = 1.02
NARROWEST, WIDEST = 0.25, 4.0  # a panorama beyond 4:1 is cropped to it
# The row height of the grid, in CSS pixels, below and from this window width (site.css's --row-height).
ROW_HEIGHT_PHONE, ROW_HEIGHT_WIDE, WIDE_FROM = 140, 220, 600
FIRST_CLASS = round(math.log(NARROWEST, RATIO_STEP))
LAST_CLASS = round(math.log(WIDEST, RATIO_STEP))


def ratio_class(width, height):
    """The class number (0 for NARROWEST) of the aspect ratio nearest width / height."""
    ratio = min(max(width / height, NARROWEST), WIDEST) if width and height else 1
    return round(math.log(ratio, RATIO_STEP)) - FIRST_CLASS


def class_ratio(number):
    """The aspect ratio a class number stands for."""
    return RATIO_STEP ** (number + FIRST_CLASS)


def tile_sizes(width, height):
    """The img `sizes` of a tile: its width at the row height (rows grow a little to fill the line)."""
    ratio = class_ratio(ratio_class(width, height))
    phone, wide = round(ratio * ROW_HEIGHT_PHONE), round(ratio * ROW_HEIGHT_WIDE)
    return f"(max-width: {WIDE_FROM - 1}px) {phone}px, {wide}px"


def aspect_ratio_css():
    """One class per ratio, setting --ratio."""
    lines = ["/* A tile's aspect ratio, --ratio (gallery/layout.py). */"]
    lines += [f".ar-{n}{{--ratio:{class_ratio(n):.4f}}}" for n in range(LAST_CLASS - FIRST_CLASS + 1)]
    return "\n".join(lines) + "\n"


def tiles_css():
    """The text of static/gallery/tiles.css: the ratio classes, then the colour classes."""
    return "/* Written by `python -m gallery.layout`. */\n" + aspect_ratio_css() + tile_colours_css()


if __name__ == "__main__":
    print(tiles_css(), end="")
