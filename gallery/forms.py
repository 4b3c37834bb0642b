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

    save() stores the image through Photo.save_upload, the path the API takes too.
    """

    photo = ImageUploadField(label="Photo")

    class Meta:
        model = Photo
        fields = ["photo", "title", "description", "visibility"]
        help_texts = {"title": "Leave it empty to use the file's name."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = f"{ACCEPTED_NAMES}, up to {settings.GALLERY_MAX_UPLOAD_MB} MB each."
        optional_visibility(self)

    def clean_visibility(self):
        return self.cleaned_data["visibility"] or self.instance.visibility

    def save(self, commit=True):
        photo = super().save(commit=False)
        if commit:
            photo.save_upload(self.cleaned_data["photo"])
        return photo


class PhotoEditForm(forms.ModelForm):
    """What the owner of a photo may change: its title, description and visibility. The admin's change form too."""

    class Meta:
        model = Photo
        fields = ["title", "description", "visibility"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        optional_visibility(self)

    def clean_visibility(self):
        return self.cleaned_data["visibility"] or self.instance.visibility


def optional_visibility(form):
    """A form posted without visibility (by a client older than it) keeps the photo's, or the default."""
    if "visibility" in form.fields:
        form.fields["visibility"].required = False
