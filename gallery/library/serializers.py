"""JSON shapes of the library's API: the date taken, lists of photo ids for bulk actions, checksum checks."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.library.duplicates import CHECKSUM_LENGTH
from gallery.library.taken import parse_taken_at
from gallery.pagination import MAX_ID

# The most ids or checksums one request may name.
MAX_BATCH = 1000


@extend_schema_field(OpenApiTypes.STR)
class TakenAtField(serializers.Field):
    """taken_at: ISO 8601 of the camera's wall-clock time, with its UTC offset when known ("2019-06-01T21:00:00+09:00"
    or "2019-06-01T21:00:00"); null when unknown. Writing it (null too) marks the date as the owner's correction."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "When it was taken: the local time there, ISO 8601, with its UTC offset when known; null when unknown. "
            "The owner may correct it; re-reading the EXIF never changes a corrected date.",
        )
        super().__init__(source="*", required=False, allow_null=True, **kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return False, None  # null clears the date: to_internal_value says so
        return super().validate_empty_values(data)

    def to_representation(self, photo):
        return photo.taken_at_iso

    def to_internal_value(self, data):
        taken_at, offset = None, None
        if data is not None:
            if not isinstance(data, str):
                raise serializers.ValidationError("Give a date and time in ISO 8601, or null.")
            try:
                taken_at, offset = parse_taken_at(data)
            except ValueError as error:
                raise serializers.ValidationError(str(error)) from None
        return {"taken_at": taken_at, "taken_at_offset": offset, "taken_at_corrected": True}


def photo_ids_field(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"Ids of photos you may change, at most {MAX_BATCH}: all of them are changed, or none.",
        **kwargs,
    )


class BulkPhotoIdsSerializer(serializers.Serializer):
    photo_ids = photo_ids_field()


class PurgeSerializer(serializers.Serializer):
    photo_ids = photo_ids_field(required=False)
    all = serializers.BooleanField(default=False, help_text="Empty your whole trash.")

    def validate(self, data):
        if bool(data.get("photo_ids")) == data["all"]:
            raise serializers.ValidationError("Give either photo_ids or all: true.")
        return data


class BulkResultSerializer(serializers.Serializer):
    photo_ids = serializers.ListField(child=serializers.IntegerField(), help_text="The photos changed.")


class ChecksumsSerializer(serializers.Serializer):
    checksums = serializers.ListField(
        child=serializers.RegexField(
            rf"^[0-9a-fA-F]{{{CHECKSUM_LENGTH}}}$", error_messages={"invalid": "Give SHA-256 checksums in hex."}
        ),
        max_length=MAX_BATCH,
        help_text=f"SHA-256 of whole files, in hex; at most {MAX_BATCH}.",
    )


class ChecksumMatchSerializer(serializers.Serializer):
    checksum = serializers.CharField()
    photo_id = serializers.IntegerField()
    trashed = serializers.BooleanField(help_text="Whether that photo is in your trash.")


class ChecksumResultsSerializer(serializers.Serializer):
    results = ChecksumMatchSerializer(many=True, help_text="Those of the checksums you already have a photo of.")
