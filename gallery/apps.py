"""App configuration for the gallery."""

import warnings

from django.apps import AppConfig
from django.conf import settings


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery"

    def ready(self):
        import pillow_heif
        from PIL import Image, PngImagePlugin

        from gallery.memory import map_large_blocks

        map_large_blocks()

        # Pillow's own decompression-bomb guard follows the gallery's limit: it
        # refuses outright at twice the limit, and the gallery refuses the rest
        # itself from the header, so Pillow's warning below that is only noise.
        Image.MAX_IMAGE_PIXELS = settings.GALLERY_MAX_PIXELS
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # A PNG's text chunks are held in memory as they are read: 4 MB of them (Pillow allows 64)
        # is far more than real metadata needs; beyond it Pillow raises ValueError, and the upload gets 400.
        PngImagePlugin.MAX_TEXT_MEMORY = 4 * PngImagePlugin.MAX_TEXT_CHUNK
        # A phone's HEIC also holds a thumbnail, depth maps and HDR gain maps; the gallery decodes the image only.
        pillow_heif.options.THUMBNAILS = False
        pillow_heif.options.DEPTH_IMAGES = False
        pillow_heif.options.AUX_IMAGES = False
