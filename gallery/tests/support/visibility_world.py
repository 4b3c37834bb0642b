"""The world the visibility tests look at from the outside: alice's public and private photos and albums, the
members of those albums, staff, another user and an anonymous visitor; who sees what of it; a client for each.

Both test_visibility (photos, albums, share links) and test_visibility_library (the trash, search, the pages of
favourites and people) take its fixtures, by name, as module attributes of their own.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from gallery.models import Photo
from gallery.tests.support.storage import album_of, stored_photo

ROLES = ("owner", "staff", "viewer", "contributor", "other", "anonymous")
# Who may see each thing of the world below.
SEES = {
    "public_photo": set(ROLES),
    "private_photo": {"owner", "staff", "viewer", "contributor"},  # it is in albums they are members of
    "loose_private_photo": {"owner", "staff"},  # in no album
    "public_album": set(ROLES),
    "private_album": {"owner", "staff", "viewer", "contributor"},
}


def copy_of(photo, **fields):
    """Another row for the same stored object: cheap photos for the many cases here."""
    keep = ("image", "width", "height", "size", "content_type", "owner", "state")
    return Photo.objects.create(**{**{name: getattr(photo, name) for name in keep}, **fields})


@pytest.fixture
def world(db, bucket):
    """alice's public and private photos, in a public and a private album whose viewer and contributor are members;
    a private photo of hers in no album; staff; and bob, a user with nothing to do with any of it."""
    # Without passwords (tokens and force_login need none): hashing five would take seconds.
    make_user = get_user_model().objects.create_user
    users = {
        "owner": make_user("alice"),
        "staff": make_user("staff", is_staff=True),
        "viewer": make_user("viewer"),
        "contributor": make_user("contributor"),
        "other": make_user("bob"),
        "anonymous": None,
    }
    # Staff who manage photos (issue 17's permission rule: what staff may do to others' photos is the model's).
    users["staff"].user_permissions.set(
        Permission.objects.filter(codename__in=["view_photo", "change_photo", "delete_photo"])
    )
    public_photo = stored_photo(users["owner"], "public.jpg", visibility="public")
    private_photo = copy_of(public_photo, title="private", visibility="private")
    loose = copy_of(public_photo, title="loose", visibility="private")
    members = [(users["viewer"], "viewer"), (users["contributor"], "contributor")]
    things = {
        "public_photo": public_photo,
        "private_photo": private_photo,
        "loose_private_photo": loose,
        "public_album": album_of(users["owner"], [public_photo, private_photo], "public", members, title="Public"),
        "private_album": album_of(users["owner"], [public_photo, private_photo], "private", members, title="Private"),
    }
    return SimpleNamespace(users=users, **things)


@pytest.fixture
def api_as(world, client_for):
    return lambda role: client_for(world.users[role])


@pytest.fixture
def page_as(world):
    def make(role):
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        return client

    return make


def photos_of(world):
    return {name: getattr(world, name) for name in ("public_photo", "private_photo", "loose_private_photo")}


def albums_of(world):
    return {name: getattr(world, name) for name in ("public_album", "private_album")}


def photo_name(world, photo):
    return next(name for name, candidate in photos_of(world).items() if candidate == photo)


def album_name(world, album):
    return next(name for name, candidate in albums_of(world).items() if candidate == album)
