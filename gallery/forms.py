"""Forms of the pages and the admin: upload (with the same validation as the API) and edit."""

from django import forms
from django.conf import settings

from gallery.images import ACCEPTED_FILE_TYPES, ACCEPTED_NAMES
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

    save(uploader=user) stores the image through Photo.save_upload, the path the API takes too.
    """

    photo = ImageUploadField(label="Photo")

    class Meta:
        model = Photo
        fields = ["photo", "title", "description"]
        help_texts = {"title": "Leave it empty to use the file's name."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = f"{ACCEPTED_NAMES}, up to {settings.GALLERY_MAX_UPLOAD_MB} MB each."

    def save(self, commit=True, *, uploader=None):
        """The new photo; with commit, stored as sent by `uploader` (the request's user, who may be anonymous)."""
        photo = super().save(commit=False)
        if commit:
            photo.save_upload(self.cleaned_data["photo"], uploader)
        return photo


class PhotoEditForm(forms.ModelForm):
    """What the owner of a photo may change: its title and description."""

    class Meta:
        model = Photo
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
