"""A tile's placeholder without JavaScript: its photo's average colour as its background, from a class.

The page's Content-Security-Policy allows no inline style, so an image gets its colour from a class of
static/gallery/tiles.css (written by `python -m gallery.layout`, with the tiles' shapes): the colour rounded to
BITS bits per channel. 3 bits make 512 classes, 2 KB gzipped (4 bits would be 20 KB, in a render-blocking
stylesheet), and a channel is at most 18 of 255 off, which a placeholder shown for a moment does not need to
beat. A per-page <style> with a CSP nonce would give exact colours but repeats them in every page, uncached.
"""

BITS = 3
TOP = (1 << BITS) - 1  # the highest level of a channel


def colour_class(average_colour):
    """The class of the level colour nearest "#rrggbb": "bg-<r><g><b>", each 0 to TOP; "" for none."""
    try:
        value = int(average_colour[1:], 16) if len(average_colour) == 7 else -1
    except ValueError:
        return ""
    if value < 0:
        return ""
    levels = (round(((value >> shift) & 0xFF) * TOP / 255) for shift in (16, 8, 0))
    return "bg-" + "".join(map(str, levels))


def tile_colours_css():
    """One class per level colour, setting background-color."""
    lines = ["/* A photo's average colour, before its image arrives (gallery/tile_colours.py). */"]
    levels = range(TOP + 1)
    for red, green, blue in ((red, green, blue) for red in levels for green in levels for blue in levels):
        hex_colour = "".join(f"{round(level * 255 / TOP):02x}" for level in (red, green, blue))
        lines.append(f".bg-{red}{green}{blue}{{background-color:#{hex_colour}}}")
    return "\n".join(lines) + "\n"
