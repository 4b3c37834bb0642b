"""JSON shapes of the API. A photo object keeps the old API's keys (id, photo_url, title, description) and adds more."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.images import ACCEPTED_NAMES, DISPLAY, RENDITIONS, THUMBNAIL
from gallery.models import Photo
from gallery.uploads import ONE_FILE_ONLY, uploaded_image


class PhotoFileField(serializers.FileField):
    """A file field whose value is a DetectedImage: the bytes decoded as an accepted image.

    A request with two files in the field is refused: DRF would silently keep the last.
    """

    default_error_messages = {"multiple": ONE_FILE_ONLY}

    def get_value(self, dictionary):
        files = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else []
        return files if len(files) > 1 else super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, list):
            self.fail("multiple")
        return uploaded_image(super().to_internal_value(data))


@extend_schema_field(OpenApiTypes.URI)
class RenditionURLField(serializers.Field):
    """The pre-signed URL of one of a photo's renditions (Photo.renditions), read only."""

    def __init__(self, rendition, **kwargs):
        self.rendition = rendition
        box = RENDITIONS[rendition].box
        kwargs.setdefault(
            "help_text",
            f"Pre-signed GET URL of a WebP that fits {box} x {box} pixels; expires. null until the photo is ready.",
        )
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, photo):
        rendition = photo.renditions.get(self.rendition)
        return rendition.url if rendition else None


class PhotoSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField(help_text="Pre-signed GET URL of the original; expires.")
    thumbnail_url = RenditionURLField(THUMBNAIL)
    display_url = RenditionURLField(DISPLAY)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Photo
        fields = [
            "id",
            "photo_url",
            "thumbnail_url",
            "display_url",
            "title",
            "description",
            "width",
            "height",
            "size",
            "content_type",
            "created_at",
            "owner",
            "state",
            "processing_error",
            "visibility",
        ]
        read_only_fields = ["width", "height", "size", "content_type", "created_at", "state", "processing_error"]
        extra_kwargs = {
            "state": {"help_text": "processing until the renditions are made, then ready; failed if they cannot be."},
            "processing_error": {"help_text": "Why processing failed; empty unless state is failed."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_photo_url(self, photo):
        return photo.original_url


class PhotoUploadSerializer(PhotoSerializer):
    photo = PhotoFileField(write_only=True, help_text=f"The image: {ACCEPTED_NAMES}.")

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "photo"]

    def create(self, validated_data):
        return Photo.objects.create_from_upload(
            validated_data["photo"],
            title=validated_data.get("title", ""),
            description=validated_data.get("description", ""),
            uploader=validated_data["uploader"],
            visibility=validated_data.get("visibility"),
        )
