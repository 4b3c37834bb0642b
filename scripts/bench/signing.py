"""Signing: the cost of pre-signing the URLs of a page of 50 photos through default_storage.url, beside boto3's
generate_presigned_url."""

import time
import uuid

from django.core.files.storage import default_storage

from gallery.images import RENDITIONS
from gallery.models import Photo
from scripts.bench.lists import PAGE


def signing_cost(repeats):
    """Mean microseconds per URL over the URLs of a page of 50 photos (the original and each rendition), warm; and
    boto3's for as many keys."""
    photos = list(Photo.objects.order_by("-created_at", "-id")[:PAGE])
    keys = [key for photo in photos for key in photo.object_keys()]
    assert len(keys) == (1 + len(RENDITIONS)) * PAGE
    for key in keys:
        default_storage.url(key)
    start = time.perf_counter()
    for _ in range(repeats):
        for key in keys:
            default_storage.url(key)
    ours = (time.perf_counter() - start) / (repeats * len(keys))
    client = default_storage.bucket.meta.client
    distinct = [f"photos/{uuid.uuid4().hex}.jpg" for _ in range(len(keys))]  # botocore caches per key
    start = time.perf_counter()
    for key in distinct:
        client.generate_presigned_url("get_object", Params={"Bucket": default_storage.bucket_name, "Key": key})
    theirs = (time.perf_counter() - start) / len(distinct)
    return ours, theirs


def report(signing):
    ours, theirs = signing
    print(
        f"| Signing the 200 URLs of a page of 50 photos, warm | | {ours * 1e6:.1f} µs per URL (boto3's "
        f"generate_presigned_url: {theirs * 1e6:.0f} µs) | at most 20 µs | {'yes' if ours <= 20e-6 else 'no'} |"
    )
