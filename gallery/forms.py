"""Forms of the pages and the admin: upload (with the same validation as the API) and edit."""

from django import forms
from django.conf import settings

from gallery.images import ACCEPTED_FILE_TYPES, ACCEPTED_NAMES
from gallery.library.taken import UTCOffsetField
from gallery.models import Photo
from gallery.uploads import uploaded_image


class ImageUploadField(forms.FileField):
    """A file field whose cleaned value is a DetectedImage: the bytes decoded as an accepted image."""

    widget = forms.FileInput(attrs={"accept": ACCEPTED_FILE_TYPES})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        return uploaded_image(upload) if upload else upload


class PhotoUploadForm(forms.ModelForm):
    """A new photo: the image file, with an optional title and description.

    save() stores the image through Photo.save_upload, the path the API takes too.
    """

    photo = ImageUploadField(label="Photo")
    # Set to the user who uploads, when known here (the admin), to refuse a duplicate beside the field.
    uploader = None

    class Meta:
        model = Photo
        fields = ["photo", "title", "description"]
        help_texts = {"title": "Leave it empty to use the file's name."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = f"{ACCEPTED_NAMES}, up to {settings.GALLERY_MAX_UPLOAD_MB} MB each."

    def clean_photo(self):
        image = self.cleaned_data["photo"]
        if self.uploader is not None and image:
            existing = Photo.all_objects.filter(owner=self.uploader, checksum=image.checksum).first()
            if existing is not None:
                where = " (in the trash)" if existing.trashed_at else ""
                raise forms.ValidationError(f"These bytes are already photo {existing.pk}{where}, “{existing}”.")
        return image

    def save(self, commit=True):
        photo = super().save(commit=False)
        if commit:
            photo.save_upload(self.cleaned_data["photo"])
        return photo


class PhotoEditForm(forms.ModelForm):
    """What the owner of a photo may change: its title, description and date taken. A date changed here is the
    owner's correction, which reading the EXIF again never overwrites."""

    taken_at_offset = UTCOffsetField(
        label="UTC offset", required=False, help_text="Where it was taken, such as +09:00 for Tokyo; empty if unknown."
    )

    class Meta:
        model = Photo
        fields = ["title", "description", "taken_at", "taken_at_offset"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"taken_at": "The local time where it was taken."}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("taken_at") is None:
            cleaned["taken_at_offset"] = None  # an offset of no time says nothing
        return cleaned

    def save(self, commit=True):
        if {"taken_at", "taken_at_offset"} & set(self.changed_data):
            self.instance.taken_at_corrected = True
        return super().save(commit)
