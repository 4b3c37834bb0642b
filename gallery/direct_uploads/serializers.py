"""JSON shapes of direct uploads: what a client declares, the session it gets back, and the URLs it sends to."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.direct_uploads import sessions
from gallery.direct_uploads.models import UploadSession
from gallery.serializers import PhotoSerializer
from gallery.visibility import Visibility


class UploadCreateSerializer(serializers.ModelSerializer):
    """What a client declares to start an upload, and what the photo is to be called (or at completion)."""

    content_type = serializers.CharField(
        source="declared_type",
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The file's type as the client knows it; the bytes decide, this is kept only for the record.",
    )

    class Meta:
        model = UploadSession
        fields = ["filename", "size", "content_type", "title", "description", "visibility"]
        extra_kwargs = {
            "size": {"help_text": "The file's exact size in bytes, at most GALLERY_MAX_DIRECT_UPLOAD_MB."},
            "visibility": {"help_text": "public or private; empty or left out: GALLERY_DEFAULT_VISIBILITY."},
        }

    def validate_size(self, size):
        if (problem := sessions.size_error(size)) is not None:
            raise serializers.ValidationError(problem)
        return size


class UploadChangesSerializer(serializers.ModelSerializer):
    """The photo's title, description and visibility, given at completion instead of (or over) those at creation."""

    class Meta:
        model = UploadSession
        fields = ["title", "description", "visibility"]
        extra_kwargs = {field: {"required": False} for field in fields}


class PartHeldSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Bytes S3 holds for this part.")


class PartURLSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    url = serializers.URLField(help_text="PUT exactly this part's bytes here; signed for its Content-Length.")


class PostFormSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="POST multipart/form-data here: `fields` first, then the file as `file`.")
    fields = serializers.DictField(child=serializers.CharField(), help_text="Form fields of S3's signed policy.")


class UploadSessionSerializer(serializers.ModelSerializer):
    """A session as its client sees it: its state, what S3 holds of it, and how it ended."""

    parts_held = serializers.SerializerMethodField(
        help_text="The parts S3 holds (from ListParts) while a multipart upload is uploading; resume from them."
    )
    photo = PhotoSerializer(read_only=True, allow_null=True, help_text="The photo, once done.")
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        allow_blank=True,
        read_only=True,
        help_text="The photo's, public or private; empty: GALLERY_DEFAULT_VISIBILITY.",
    )

    class Meta:
        model = UploadSession
        fields = [
            "id",
            "state",
            "filename",
            "size",
            "part_size",
            "title",
            "description",
            "visibility",
            "parts_held",
            "photo",
            "duplicate",
            "error",
            "created_at",
            "expires_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "state": {"help_text": "uploading, verifying, done, rejected, aborted or expired."},
            "duplicate": {"help_text": "True once done when you already had these bytes: `photo` is that photo."},
            "error": {"help_text": "Why it was rejected (the texts of POST /api/photos); empty otherwise."},
            "expires_at": {"help_text": "An upload not completed by then is aborted and its parts deleted."},
        }

    @extend_schema_field(PartHeldSerializer(many=True))
    def get_parts_held(self, session):
        return PartHeldSerializer(sessions.parts_held(session), many=True).data


class UploadStartSerializer(UploadSessionSerializer):
    """A new session with where to send the bytes: one pre-signed POST, or the first parts' URLs."""

    post = PostFormSerializer(allow_null=True, read_only=True, help_text="For a file of one part at most; else null.")
    parts = PartURLSerializer(many=True, read_only=True, help_text="URLs of the first parts; [] for a POST.")

    class Meta(UploadSessionSerializer.Meta):
        fields = [*UploadSessionSerializer.Meta.fields, "post", "parts"]
        read_only_fields = fields


class PartNumbersSerializer(serializers.Serializer):
    part_numbers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=sessions.MAX_PARTS),
        min_length=1,
        max_length=sessions.MAX_PARTS_PER_REQUEST,
        help_text=f"The parts (from 1) to sign, at most {sessions.MAX_PARTS_PER_REQUEST} at a time.",
    )

    def validate_part_numbers(self, numbers):
        """Only the parts the file has; the context's `session` says how many."""
        count = sessions.part_count(self.context["session"])
        if wrong := sorted({number for number in numbers if number > count}):
            raise serializers.ValidationError(
                f"This upload has parts 1 to {count}; there is no part {', '.join(map(str, wrong))}."
            )
        return numbers


class PartURLsSerializer(serializers.Serializer):
    parts = PartURLSerializer(many=True)
