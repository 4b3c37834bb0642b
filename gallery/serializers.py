"""JSON shapes of the API. A photo object keeps the old API's keys (id, photo_url, title, description) and adds more."""

from functools import cached_property
from operator import attrgetter

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.images import ACCEPTED_NAMES, DISPLAY, GRID, RENDITIONS, THUMBNAIL
from gallery.library.serializers import TakenAtField
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


# DRF fields whose to_representation gives a model attribute of its own type back unchanged (str, int, float, bool).
PLAIN_FIELDS = (serializers.CharField, serializers.IntegerField, serializers.FloatField, serializers.BooleanField)


class PlainFieldsRead:
    """A serializer's to_representation as DRF's, minus DRF's per-field machinery where a field copies one model
    attribute as it is: such a field is one getattr here. Written because that machinery (get_attribute's
    lookups, the None check, a to_representation call) was most of a list's time: some 10 µs per field and
    photo, 12 ms of the 50 photos of 24 fields of GET /api/photos. Other fields (dates, the owner, URLs,
    taken_at) go through DRF's own steps, in the same order, so the output is the same."""

    @cached_property
    def representation_plan(self):
        """(name, read attribute, field or None when the value is used as read) per readable field."""
        plan = []
        for field in self._readable_fields:
            plain = type(field) in PLAIN_FIELDS and len(field.source_attrs) == 1
            read = attrgetter(field.source) if plain else field.get_attribute
            plan.append((field.field_name, read, not plain and field))
        return plan

    def to_representation(self, instance):
        representation = {}
        for name, read, field in self.representation_plan:
            value = read(instance)
            representation[name] = value if value is None or not field else field.to_representation(value)
        return representation


class PhotoSerializer(PlainFieldsRead, serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField(help_text="Pre-signed GET URL of the original; expires.")
    thumbnail_url = RenditionURLField(THUMBNAIL)
    grid_url = RenditionURLField(
        GRID,
        help_text="Pre-signed GET URL of a WebP that fits 800 x 800 pixels, for a grid on dense screens; expires. "
        "null until the photo is ready, and for a photo made before this size until make_renditions remakes it.",
    )
    display_url = RenditionURLField(DISPLAY)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    taken_at = TakenAtField()

    class Meta:
        model = Photo
        # What EXIF said (gallery.images.exif) is null when unknown; exposure_time is in seconds, focal_length in mm.
        exif_fields = ["camera_make", "camera_model", "lens", "exposure_time", "f_number", "iso", "focal_length"]
        fields = [
            "id",
            "photo_url",
            "thumbnail_url",
            "grid_url",
            "display_url",
            "thumbhash",
            "average_colour",
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
            "taken_at",
            *exif_fields,
            "favorite",
            "trashed_at",
        ]
        read_only_fields = [
            *("width", "height", "size", "content_type", "created_at", "state", "processing_error"),
            *exif_fields,
            "trashed_at",
        ]
        extra_kwargs = {
            "state": {"help_text": "processing until the renditions are made, then ready; failed if they cannot be."},
            "processing_error": {"help_text": "Why processing failed; empty unless state is failed."},
            "favorite": {"help_text": "Starred by its owner."},
            "trashed_at": {"help_text": "When it was moved to the trash; null unless it is there."},
            "thumbhash": {
                "help_text": "ThumbHash placeholder (base64), to paint until the thumbnail arrives; empty "
                "until the photo is processed."
            },
            "average_colour": {"help_text": 'The placeholder\'s average colour, "#rrggbb"; empty until processed.'},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_photo_url(self, photo):
        return photo.original_url


class PhotoUploadSerializer(PhotoSerializer):
    photo = PhotoFileField(write_only=True, help_text=f"The image: {ACCEPTED_NAMES}.")
    duplicate = serializers.SerializerMethodField(
        help_text="True (with status 200) when you already had these exact bytes: this is that photo, perhaps in "
        "the trash (trashed_at), and nothing was stored."
    )

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "photo", "duplicate"]

    def get_duplicate(self, photo) -> bool:
        return self.context.get("duplicate", False)

    def create(self, validated_data):
        return Photo.objects.create_from_upload(
            validated_data["photo"],
            title=validated_data.get("title", ""),
            description=validated_data.get("description", ""),
            uploader=validated_data["uploader"],
            visibility=validated_data.get("visibility"),
        )
