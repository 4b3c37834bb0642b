"""The photo-like JPEGs the benchmark uploads: detail at every scale and sensor grain, so that they compress like
photographs, with a camera's EXIF."""

import io
import os
import time
import uuid

from PIL import ExifTags, Image, ImageChops
from PIL.TiffImagePlugin import IFDRational

CAMERAS = [
    ("Canon", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON D850"),
    ("SONY", "ILCE-7M4"),
    ("FUJIFILM", "X-T5"),
    ("Apple", "iPhone 15 Pro"),
]


def texture(size, seed):
    """Detail at every scale, as in a photograph (a 1/f spectrum), plus sensor grain: it compresses like one."""
    layers = []
    for index, divisor in enumerate((256, 64, 16, 4)):
        small = (max(2, size[0] // divisor), max(2, size[1] // divisor))
        bands = [Image.effect_noise(small, 100 - 5 * ((seed + band + index) % 5)) for band in range(3)]
        layers.append(Image.merge("RGB", bands).resize(size, Image.Resampling.BICUBIC))
    image = layers[0]
    for index, layer in enumerate(layers[1:], 1):
        image = Image.blend(image, layer, 0.5 if index < 2 else 0.25)
    return Image.blend(image, Image.effect_noise(size, 48).convert("RGB"), 0.08)


def jpeg(image, quality, exif=None):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def camera_exif(n):
    """EXIF as a camera writes it: make, model, lens, date taken (this morning, n minutes apart) with its offset,
    exposure. The rows lists.seed_rows adds are older, so that the first page by date taken is these photos."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = CAMERAS[n % len(CAMERAS)]
    exif.get_ifd(ExifTags.IFD.Exif).update(
        {
            ExifTags.Base.DateTimeOriginal: time.strftime("%Y:%m:%d 06:%M:%S", time.gmtime(time.time() - 60 * n)),
            ExifTags.Base.OffsetTimeOriginal: "+02:00",
            ExifTags.Base.LensModel: "24-70mm F2.8",
            ExifTags.Base.ExposureTime: IFDRational(1, 250),
            ExifTags.Base.FNumber: IFDRational(28, 10),
            ExifTags.Base.ISOSpeedRatings: 400,
            ExifTags.Base.FocalLength: IFDRational(35, 1),
        }
    )
    return exif


def unique(content):
    """The JPEG with a comment segment (COM) no other upload has: the same image, never an exact duplicate."""
    comment = uuid.uuid4().hex.encode()
    return content[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + content[2:]


def phone_photos(count, size=(4000, 3000)):
    """`count` distinct 12-megapixel JPEGs of about 4 MB, as phones take them."""
    base = texture(size, 0)
    photos = []
    for n in range(count):
        shifted = ImageChops.offset(base, 97 * n, 61 * n)
        tint = Image.new("RGB", size, ((37 * n) % 256, (91 * n) % 256, (53 * n) % 256))
        photos.append(jpeg(Image.blend(shifted, tint, 0.12), 90, camera_exif(n)))
    return photos


def largest_jpeg(limit_bytes):
    """A photo-like JPEG just under the upload limit (about 40 megapixels at quality 95)."""
    image = texture((7400, 5550), 7)
    for quality in range(98, 79, -1):
        content = jpeg(image, quality)
        if len(content) <= limit_bytes - 256 * 1024:
            return content
    raise AssertionError("no JPEG under the upload limit")


def noise_jpeg(size):
    """A baseline JPEG of random pixels at quality 100: about 2 bytes a pixel, so 50 MB within the pixel limits."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=100)
    return buffer.getvalue()
