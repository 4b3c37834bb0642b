"""The decode budget: how much memory checking one image may take, and what each format's decoder costs a pixel."""

from gallery.images.containers import JPEG_SOS, file_contents, jpeg_segments
from gallery.images.formats import invalid_image

# What validating one image may cost in memory, so that a worker stays under 300 MB (it idles at
# about 95 MB, keeps up to 15 MB more between uploads (see gunicorn.conf.py), and holds the request's
# other buffers, the renditions and the image's metadata (limited below), some 30 MB, at its peak).
# Above it an image is refused from its header, whatever GALLERY_MAX_PIXELS allows: a decoder that
# must hold every pixel (PNG, GIF, WebP, AVIF, HEIC) or every DCT coefficient (progressive or
# multi-scan JPEG) gets a lower pixel limit (decode_bytes_per_pixel), proved by the worker memory test.
DECODE_BUDGET_BYTES = 150_000_000
# Pillow's in-memory bytes per pixel, by image mode; the other modes take four.
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Measured with Pillow 13: libwebp's animation decoder (the only one Pillow uses) keeps two
# RGBA canvases, then Pillow copies the frame to bytes and again into the image.
WEBP_BYTES_PER_PIXEL = 16
# Measured with Pillow 13 (libavif 1.4, dav1d): 9.5 to 9.9, for the YUV planes, libavif's RGB and Pillow's copy.
AVIF_BYTES_PER_PIXEL = 10
# Measured with pillow-heif 1.8 (libheif 1.23): 4.9 for a phone's 512-pixel tiles, 6.1 for one whole
# HEVC image, while libheif decodes to RGB; decode_heif never copies all of it into Pillow. This lets
# an iPhone's 24-megapixel photo (5712 x 4284) through and refuses its 48-megapixel "HEIF Max".
HEIF_BYTES_PER_PIXEL = 6.1
# More scans than encoders write (libjpeg's progressive script has 10, mozjpeg's about 20): each is a pass over
# the image's coefficients (measured: 18 ms for 3 megapixels), so 25 MB of tiny scans would hold a worker far
# beyond the 120 s a request may take.
MAX_JPEG_SCANS = 256


def pixel_limit(max_pixels, bytes_per_pixel):
    """The most pixels an image may have: max_pixels, or fewer when its decoder would exceed the budget."""
    if not bytes_per_pixel:
        return max_pixels
    return min(max_pixels, int(DECODE_BUDGET_BYTES // bytes_per_pixel))


def decode_bytes_per_pixel(image, file):
    """About how many bytes per pixel decoding this opened (not yet loaded) Pillow image will hold at once.

    0 means the decoder's memory does not grow with the image (a baseline JPEG, drafted). Raises ValidationError
    for a JPEG of more scans than MAX_JPEG_SCANS.
    """
    if image.format == "WEBP":
        return WEBP_BYTES_PER_PIXEL
    if image.format == "AVIF":
        return AVIF_BYTES_PER_PIXEL
    if image.format not in {"JPEG", "MPO"}:
        return MODE_BYTES.get(image.mode, 4)
    with file_contents(file) as data:
        scans = sum(marker == JPEG_SOS for marker, _, _ in jpeg_segments(data, whole=True))
    if scans > MAX_JPEG_SCANS:
        raise invalid_image()
    if scans <= 1:
        return 0  # One scan is decoded a row of blocks at a time, into an image no larger than twice the display size.
    # libjpeg keeps every component's DCT coefficients, two bytes each, until the last scan; then the decoded
    # image, which for an image this large is drafted at 1/2 scale or less: 4 bytes a pixel, a quarter of them.
    h_max = max(h for _, h, _, _ in image.layer)
    v_max = max(v for _, _, v, _ in image.layer)
    return 2 * sum(h * v for _, h, v, _ in image.layer) / (h_max * v_max) + 1


# What an image's metadata may take, checked from its container before any decoder reads it
# (gallery.images.metadata). Decoders hold it all while they decode the pixels, on top of the decode budget:
# Pillow keeps every JPEG segment before the first scan and every unknown PNG chunk as a Python object,
# and each GIF comment sub-block; libwebp and libheif index every chunk and box.
# EXIF: JPEG's own limit for its one segment. Pillow parses it into Python objects, some 16 times its size.
MAX_EXIF_BYTES = 64 * 1024
# A colour profile: Pillow's own limit for a PNG's (iCCP, PngImagePlugin.MAX_TEXT_CHUNK); the renditions carry it.
MAX_ICC_BYTES = 1024 * 1024
# Every metadata block together (EXIF, XMP, ICC, IPTC, comments, text and unknown chunks, a HEIC's meta box):
# a phone's JPEG with a depth map in extended XMP carries a few MB. A PNG's compressed text counts here, and
# Pillow holds at most 4 MB of it uncompressed (GalleryConfig.ready sets PngImagePlugin.MAX_TEXT_MEMORY).
MAX_METADATA_BYTES = 8 * 1024 * 1024
# Segments, chunks, boxes, items, sub-blocks: decoders keep 50 to 150 bytes for each, so 25 MB of empty ones would
# cost them gigabytes. Real files have tens, a HEIC of tiles a few hundred, an animated WebP one chunk a frame.
MAX_METADATA_BLOCKS = 10_000
