"""Images: the accepted formats, the decode budget, detecting and decoding, renditions, placeholders and location
stripping.

One module per responsibility; the names other code uses are importable from here.
"""

from gallery.images.decode import DetectedImage, check_header, decode_image, detect_image
from gallery.images.exif import PhotoMetadata, metadata_of_file, parse_offset, printable
from gallery.images.formats import ACCEPTED_FILE_TYPES, ACCEPTED_FORMATS, ACCEPTED_NAMES, invalid_image, too_many_pixels
from gallery.images.limits import (
    AVIF_BYTES_PER_PIXEL,
    DECODE_BUDGET_BYTES,
    HEIF_BYTES_PER_PIXEL,
    REDUCED_COPY,
    WEBP_BYTES_PER_PIXEL,
)
from gallery.images.location import without_location
from gallery.images.placeholders import placeholder
from gallery.images.renditions import (
    DISPLAY,
    GRID,
    RENDITION_CONTENT_TYPE,
    RENDITION_EXTENSION,
    RENDITIONS,
    THUMBNAIL,
    fit_within,
    render,
)

__all__ = [
    "ACCEPTED_FILE_TYPES",
    "ACCEPTED_FORMATS",
    "ACCEPTED_NAMES",
    "AVIF_BYTES_PER_PIXEL",
    "DECODE_BUDGET_BYTES",
    "REDUCED_COPY",
    "DISPLAY",
    "GRID",
    "HEIF_BYTES_PER_PIXEL",
    "RENDITIONS",
    "RENDITION_CONTENT_TYPE",
    "RENDITION_EXTENSION",
    "THUMBNAIL",
    "WEBP_BYTES_PER_PIXEL",
    "DetectedImage",
    "PhotoMetadata",
    "check_header",
    "decode_image",
    "detect_image",
    "fit_within",
    "invalid_image",
    "metadata_of_file",
    "parse_offset",
    "placeholder",
    "printable",
    "render",
    "too_many_pixels",
    "without_location",
]
