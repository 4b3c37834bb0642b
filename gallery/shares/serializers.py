"""JSON shape of a share link: what it shares, its options, its use, and its full URL (never its password)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.albums.models import Album
from gallery.models import Photo
from gallery.shares.models import DEFAULT_EXPIRY_DAYS, EXPIRY_DAYS, ShareLink


class ManagedBy(serializers.PrimaryKeyRelatedField):
    """An id among the albums or photos the requesting user may share: their own (any, for staff)."""

    def get_queryset(self):
        user = self.context["request"].user
        objects = self.queryset.all()
        return objects if user.is_staff else objects.filter(owner=user)


class ShareLinkSerializer(serializers.ModelSerializer):
    album = ManagedBy(queryset=Album.objects, required=False, allow_null=True, help_text="The album to share.")
    photo = ManagedBy(queryset=Photo.objects, required=False, allow_null=True, help_text="Or the photo to share.")
    expires_in_days = serializers.ChoiceField(
        choices=EXPIRY_DAYS,
        allow_null=True,
        default=DEFAULT_EXPIRY_DAYS,
        write_only=True,
        help_text="Days from now until the link stops working; null: never.",
    )
    password = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Asked of every visitor; stored hashed. Empty: no password.",
    )
    has_password = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The link to hand out.")

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "url",
            "album",
            "photo",
            "label",
            "expires_in_days",
            "expires_at",
            "password",
            "has_password",
            "allow_download",
            "views",
            "last_viewed_at",
            "created_at",
        ]
        read_only_fields = ["expires_at", "views", "last_viewed_at", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # What a link shares never changes; make another link instead.
            for name in ("album", "photo"):
                fields[name].read_only = True
        return fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_password(self, link):
        return bool(link.password)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, link):
        return self.context["request"].build_absolute_uri(link.get_absolute_url())

    def validate(self, data):
        if self.instance is None and bool(data.get("album")) == bool(data.get("photo")):
            raise serializers.ValidationError({"album": ["Give an album or a photo to share, not both."]})
        return data

    def create(self, validated_data):
        return self.save_link(ShareLink(created_by=self.context["request"].user), validated_data)

    def update(self, link, validated_data):
        return self.save_link(link, validated_data)

    @staticmethod
    def save_link(link, data):
        if "expires_in_days" in data:
            link.expire_in(data.pop("expires_in_days"))
        if "password" in data:
            link.set_password(data.pop("password"))
        for name, value in data.items():
            setattr(link, name, value)
        link.save()
        return link
