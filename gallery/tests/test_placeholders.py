"""Placeholders: the ThumbHash and average colour a photo's job computes, as the API gives them, and the colour's
class that paints it without JavaScript."""

import base64
from pathlib import Path

import pytest
import thumbhash
from django.conf import settings
from PIL import ExifTags, Image

from gallery.tests.test_renditions import GREEN, RED, encoded, near, processed, two_colours  # noqa: F401
from gallery.tile_colours import colour_class

pytestmark = pytest.mark.django_db


def thumbhash_of(body):
    return list(base64.b64decode(body["thumbhash"]))


def colour(hex_colour):
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_the_placeholder_is_the_photo_upright_in_its_colours(upload, processed):  # noqa: F811
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # turn 90 degrees clockwise to show it
    body = processed(upload(encoded(two_colours((1200, 800)), "JPEG", exif=exif)))

    hashed = thumbhash_of(body)

    assert len(hashed) < 30, "a few bytes per photo"
    # (Its pixels are checked as the browser paints them: test_browser_layout.py; thumbhash 0.1.2's own decoder
    # is wrong, though its encoder agrees with the JavaScript one the pages use.)
    assert thumbhash.thumb_hash_to_approximate_aspect_ratio(hashed) < 1, "upright, as the renditions"
    half_and_half = tuple((red + green) / 2 for red, green in zip(RED, GREEN, strict=True))
    assert near(colour(body["average_colour"]), half_and_half, 30)
    red, green, blue, _ = thumbhash.thumb_hash_to_average_rgba(hashed)
    assert near(colour(body["average_colour"]), (red * 255, green * 255, blue * 255), 2)


def test_a_transparent_photo_gets_a_placeholder_on_the_tiles_colour(upload, processed):  # noqa: F811
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))

    body = processed(upload(encoded(image, "PNG"), name="clear.png"))

    assert thumbhash_of(body) and near(colour(body["average_colour"]), (228, 226, 220), 6)


def test_the_stylesheet_has_a_class_for_every_colour_a_tile_gets():
    stylesheet = (Path(settings.BASE_DIR) / "static/gallery/tiles.css").read_text()  # test_image_sizes.py: current
    for average_colour in ("#000000", "#ffffff", "#7f3a12", "#e4e2dc"):
        assert f".{colour_class(average_colour)}{{" in stylesheet
    assert colour_class("") == "", "a photo not processed yet keeps the tile's neutral background"
