"""Exact duplicates: the SHA-256 of the bytes as uploaded identifies a photo among its owner's, trash included."""

import hashlib

# The database's guarantee, also what tells a duplicate that raced past the check from other integrity errors.
CHECKSUM_CONSTRAINT = "photo_unique_checksum_per_owner"
CHECKSUM_LENGTH = 64


class DuplicatePhoto(Exception):
    """The uploader already has a photo of these exact bytes (perhaps in the trash): `photo`."""

    def __init__(self, photo):
        self.photo = photo
        super().__init__(f"These bytes are already photo {photo.pk}.")


def checksum_of(file):
    """The SHA-256 of a file's bytes, in hex; the file is read in chunks and left at its start."""
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def violates_checksum_constraint(error):
    """Whether a database error is the owner's checksum being taken already."""
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) == CHECKSUM_CONSTRAINT
