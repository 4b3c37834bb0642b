"""The renditions of a photo (a thumbnail, a grid size and a display size, in WebP) and how they are made from
decoded pixels."""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class RenditionSpec:
    """How one rendition is made: the square it fits in, the resampling filter, WebP's quality and effort."""

    box: int
    resample: Image.Resampling
    quality: int
    method: int  # libwebp's effort, 0 (fastest) to 6


# The display size is made from the decoded image, the grid size and the thumbnail from the display size. Their
# filters and efforts were chosen by measurement (BENCHMARKS.md): the display size's encoding is most of a
# rendition job's time; the thumbnail, and the grid size for dense screens (a tile of 200 to 300 CSS pixels at 2x
# or 3x), are what a gallery page downloads fifty of, so they get libwebp's better effort and a lower quality:
# dense screens' small pixels hide most of what the grid size's quality 65 loses. Against 80 and 78, the first
# gallery page is about a quarter lighter at 1x and 2x, and a phone's largest paint on slow 4G comes 0.3 to 0.6 s
# sooner (Lighthouse, BENCHMARKS.md).
DISPLAY, GRID, THUMBNAIL = "display", "grid", "thumbnail"
RENDITIONS = {
    DISPLAY: RenditionSpec(box=1600, resample=Image.Resampling.HAMMING, quality=80, method=0),
    GRID: RenditionSpec(box=800, resample=Image.Resampling.LANCZOS, quality=65, method=4),
    THUMBNAIL: RenditionSpec(box=400, resample=Image.Resampling.LANCZOS, quality=75, method=4),
}
# Smaller sizes are made beside the display size, in this order.
FROM_DISPLAY = (GRID, THUMBNAIL)
RENDITION_CONTENT_TYPE, RENDITION_EXTENSION = "image/webp", "webp"
# The grid size and the thumbnail are resized and encoded here while the calling thread encodes the display size
# (Pillow releases the GIL while it works). Started on first use, in the job worker that makes renditions.
THUMBNAIL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbnail")
# How the pixels of an image with this EXIF orientation are turned to be shown upright (as ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SWAPS_AXES = {
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_270,
}


def fit_within(size, box):
    """(width, height) scaled down to fit a box x box square, keeping the aspect ratio; never scaled up."""
    width, height = size
    longest = max(width, height)
    if longest <= box:
        return width, height
    return max(1, round(width * box / longest)), max(1, round(height * box / longest))


def render(image):
    """Yield (name, WebP bytes) of each rendition of a decoded DetectedImage: the display size, then the smaller.

    Each is upright, in RGB (RGBA when the image has transparency) and carries no metadata, only the
    original's colour profile when it describes the pixels' RGB (a phone's Display P3, say).
    """
    icc_profile = image.icc_profile if _profile_applies(image) else None
    shown = (image.width, image.height)

    def webp(picture, name):
        buffer = io.BytesIO()
        spec = RENDITIONS[name]
        picture.save(buffer, "WEBP", quality=spec.quality, method=spec.method, icc_profile=icc_profile)
        return buffer.getvalue()

    width, height = fit_within(shown, RENDITIONS[DISPLAY].box)
    # The box is square: the pixels, before they are turned upright, fit it turned the other way.
    size = (height, width) if image.transpose in SWAPS_AXES else (width, height)
    display = image.pixels
    if display.size != size:
        display = display.resize(size, RENDITIONS[DISPLAY].resample)
    display = viewable(display)
    if image.transpose is not None:
        display = display.transpose(image.transpose)

    def smaller(name):
        spec = RENDITIONS[name]
        return webp(display.resize(fit_within(shown, spec.box), spec.resample, reducing_gap=2.0), name)

    made = [(name, THUMBNAIL_THREAD.submit(smaller, name)) for name in FROM_DISPLAY]
    yield DISPLAY, webp(display, DISPLAY)
    for name, content in made:
        yield name, content.result()


def viewable(image):
    """The image in RGB, or RGBA when it has transparency: what WebP holds and browsers show."""
    if image.mode.startswith("I") or image.mode == "F":
        # 16- and 32-bit greys: Pillow's conversion to 8 bits clips instead of scaling.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    mode = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _profile_applies(image):
    """Whether the image's ICC profile describes RGB values (its header names the colour space at bytes 16 to 20)
    and the pixels hold such values, so that the renditions can keep it."""
    profile = image.icc_profile or b""
    return profile[16:20] == b"RGB " and image.pixels.mode in {"RGB", "RGBA", "RGBX", "P", "PA"}
