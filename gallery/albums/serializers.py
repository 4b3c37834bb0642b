"""JSON shapes of albums, their members and the photo ids sent to add or remove photos."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.albums.models import Album, AlbumMember, Role
from gallery.images import THUMBNAIL

MAX_PHOTO_IDS = 1000
# The largest id PostgreSQL's bigint holds: a larger number names no photo.
MAX_ID = 2**63 - 1


class AlbumSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    cover = serializers.IntegerField(
        source="cover_id",
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        required=False,
        help_text="The id of the photo chosen as cover, one of the album's; null: its newest photo.",
    )
    cover_photo = serializers.SerializerMethodField(help_text="The id of the photo shown as cover to you, or null.")
    cover_url = serializers.SerializerMethodField(help_text="Pre-signed URL of the cover's thumbnail; expires.")
    photo_count = serializers.IntegerField(read_only=True, help_text="How many of its photos you may see.")
    role = serializers.SerializerMethodField(
        help_text="What you are to this album: owner, contributor, viewer or null."
    )

    class Meta:
        model = Album
        fields = [
            "id",
            "title",
            "description",
            "visibility",
            "owner",
            "cover",
            "cover_photo",
            "cover_url",
            "photo_count",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_cover_photo(self, album):
        cover = getattr(album, "cover_photo", None)
        return cover and cover.pk

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_cover_url(self, album):
        cover = getattr(album, "cover_photo", None)
        return cover and cover.renditions[THUMBNAIL].url

    @extend_schema_field(serializers.ChoiceField(choices=["owner", *Role.values], allow_null=True))
    def get_role(self, album):
        return album.role_of(self.context["request"].user)


class PhotoIdsSerializer(serializers.Serializer):
    photo_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False, max_length=MAX_PHOTO_IDS
    )


class PhotoChangeSerializer(serializers.Serializer):
    """What adding or removing photos answers."""

    changed = serializers.IntegerField(help_text="How many photos were added (or removed); the others already were.")
    photo_count = serializers.IntegerField(help_text="How many photos the album holds now.")


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all())

    class Meta:
        model = AlbumMember
        fields = ["user", "role", "added_at"]
        read_only_fields = ["added_at"]


class MemberRemovalSerializer(serializers.Serializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all())
