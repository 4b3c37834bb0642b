"""The image formats uploads may be in, and the validation errors the rest of the package raises."""

from django.core.exceptions import ValidationError

# Format name (Pillow's, or HEIF for pillow-heif's) -> (Content-Type stored with the object, extension of its key).
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
    "AVIF": ("image/avif", "avif"),
    "HEIF": ("image/heic", "heic"),
}
ACCEPTED_NAMES = "JPEG, PNG, GIF, WebP, HEIC or AVIF"
# What a file input may offer: browsers know HEIC by its extension more often than by its type.
ACCEPTED_FILE_TYPES = ",".join([*(content_type for content_type, _ in ACCEPTED_FORMATS.values()), ".heic", ".heif"])
# Pillow decodes these itself; HEIC goes through pillow-heif (libheif), which Pillow does not know.
PILLOW_FORMATS = [name for name in ACCEPTED_FORMATS if name != "HEIF"]


def invalid_image():
    """The error for bytes that are not a whole image of an accepted format."""
    return ValidationError(
        "Upload a valid image: %(accepted)s. This file is not one, or it is damaged.",
        code="invalid_image",
        params={"accepted": ACCEPTED_NAMES},
    )


def too_many_pixels(max_pixels, width=None, height=None):
    """The error for an image over a pixel limit, naming the limit."""
    size = f"{width} x {height} pixels" if width else "too many pixels"
    return ValidationError(
        "This image has %(size)s; the limit is %(limit)s million pixels.",
        code="too_many_pixels",
        params={"size": size, "limit": f"{max_pixels / 1_000_000:.3g}"},
    )


def too_much_metadata(what):
    """The error for an image whose metadata is over a limit (gallery.images.limits), saying which."""
    return ValidationError(
        "This image carries too much metadata: %(what)s.", code="too_much_metadata", params={"what": what}
    )
