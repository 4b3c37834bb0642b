"""Real images of every format that carries metadata, each with all the metadata it can carry (EXIF with a location,
XMP, IPTC, a colour profile, comments): the seeds the metadata fuzz test and the malformed corpus damage."""

import io
import struct

import pillow_heif
from PIL import Image, ImageCms, PngImagePlugin

from gallery.tests.support.images import photo_exif

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4933N"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)
IPTC = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x5a\x00\x05Paris\x00"


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _saved(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def with_metadata(image_format):
    """A small real image in `image_format` with EXIF (GPS included), XMP, a colour profile and, where the format
    has them, IPTC, comments and text; MPO is a JPEG followed by a second image."""
    image = Image.linear_gradient("L").resize((40, 30)).convert("RGB")
    exif, icc = photo_exif(), srgb_profile()
    if image_format == "JPEG":
        jpeg = _saved(image, "JPEG", exif=exif, xmp=XMP, icc_profile=icc, comment=b"a comment")
        return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(IPTC) + 2) + IPTC + jpeg[2:]
    if image_format == "MPO":
        return _saved(image, "MPO", save_all=True, append_images=[image.rotate(90)], exif=exif)
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        text.add_text("Raw profile type exif", exif.tobytes().hex(), zip=True)
        return _saved(image, "PNG", exif=exif, icc_profile=icc, pnginfo=text)
    if image_format == "GIF":
        gif = _saved(image.convert("P"), "GIF", comment=b"a comment")
        # XMP as GIF writers store it: raw after an application extension, then a "magic trailer" of sub-blocks.
        xmp = b"\x21\xff\x0bXMP DataXMP" + XMP + bytes(range(255, -1, -1)) + b"\x00"
        first_image = gif.index(b"\x2c")
        return gif[:first_image] + xmp + gif[first_image:]
    if image_format == "HEIF":
        buffer = io.BytesIO()
        pillow_heif.from_pillow(image).save(
            buffer, quality=50, enc_params={"preset": "ultrafast"}, exif=exif.tobytes(), xmp=XMP, icc_profile=icc
        )
        return buffer.getvalue()
    return _saved(image, image_format, exif=exif, xmp=XMP, icc_profile=icc)


METADATA_FORMATS = ["JPEG", "MPO", "PNG", "GIF", "WEBP", "AVIF", "HEIF"]
