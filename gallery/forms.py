"""Forms of the pages and the admin: upload (with the same validation as the API), edit, and sign-up."""

from confusable_homoglyphs import confusables
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from gallery.images import ACCEPTED_FILE_TYPES, ACCEPTED_NAMES
from gallery.library.taken import UTCOffsetField
from gallery.models import Photo
from gallery.uploads import ONE_FILE_ONLY, uploaded_image


class SingleFileInput(forms.FileInput):
    """A file input handing its field every file sent under its name when there are several (Django keeps the last)."""

    def value_from_datadict(self, data, files, name):
        sent = files.getlist(name)
        return sent if len(sent) > 1 else super().value_from_datadict(data, files, name)


class ImageUploadField(forms.FileField):
    """A file field whose cleaned value is a DetectedImage: the bytes decoded as an accepted image.

    Two files in the field are refused, as the API refuses them.
    """

    widget = SingleFileInput(attrs={"accept": ACCEPTED_FILE_TYPES})

    def clean(self, data, initial=None):
        if isinstance(data, list):
            raise forms.ValidationError(ONE_FILE_ONLY, code="multiple")
        upload = super().clean(data, initial)
        return uploaded_image(upload) if upload else upload


class PhotoUploadForm(forms.ModelForm):
    """A new photo: the image file, with an optional title and description.

    save(uploader=user) stores the image through Photo.save_upload, the path the API takes too.
    """

    photo = ImageUploadField(label="Photo")
    # Set to the user who uploads, when known here (the admin), to refuse a duplicate beside the field.
    uploader = None

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

    def clean_photo(self):
        image = self.cleaned_data["photo"]
        if self.uploader is not None and image:
            existing = Photo.all_objects.filter(owner=self.uploader, checksum=image.checksum).first()
            if existing is not None:
                where = " (in the trash)" if existing.trashed_at else ""
                raise forms.ValidationError(f"These bytes are already photo {existing.pk}{where}, “{existing}”.")
        return image

    def save(self, commit=True, *, uploader=None):
        """The new photo; with commit, stored as sent by `uploader` (the request's user, who may be anonymous)."""
        photo = super().save(commit=False)
        if commit:
            photo.save_upload(self.cleaned_data["photo"], uploader)
        return photo


class PhotoEditForm(forms.ModelForm):
    """What the owner of a photo may change: its title, description, visibility and date taken. The admin's change
    form too. A date changed here is the owner's correction, which reading the EXIF again never overwrites."""

    taken_at_offset = UTCOffsetField(
        label="UTC offset", required=False, help_text="Where it was taken, such as +09:00 for Tokyo; empty if unknown."
    )

    class Meta:
        model = Photo
        fields = ["title", "description", "visibility", "taken_at", "taken_at_offset"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"taken_at": "The local time where it was taken."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        optional_visibility(self)

    def clean_visibility(self):
        return self.cleaned_data["visibility"] or self.instance.visibility

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("taken_at") is None:
            cleaned["taken_at_offset"] = None  # an offset of no time says nothing
        return cleaned

    def save(self, commit=True):
        if {"taken_at", "taken_at_offset"} & set(self.changed_data):
            self.instance.taken_at_corrected = True
        return super().save(commit)


def optional_visibility(form):
    """A form posted without visibility (by a client older than it) keeps the photo's, or the default."""
    if "visibility" in form.fields:
        form.fields["visibility"].required = False


def latin_lookalike(username):
    """The username with each letter that looks like a Latin one (Cyrillic а, Greek ο) replaced by that letter."""
    found = confusables.is_confusable(username, greedy=True, preferred_aliases=["latin"]) or []
    lookalikes = {
        item["character"]: next(glyph["c"] for glyph in item["homoglyphs"] if glyph["c"].isascii())
        for item in found
        if any(glyph["c"].isascii() for glyph in item["homoglyphs"])
    }
    return "".join(lookalikes.get(ch, ch) for ch in username)


class SignupForm(UserCreationForm):
    """Django's sign-up form, refusing usernames that look like another one.

    confusable-homoglyphs (Unicode's confusables data) refuses what mixes scripts with letters that look alike,
    as django-registration does ("аlice" with a Cyrillic а); a name in one script whose look-alike Latin letters
    spell an existing username ("аре" for "ape") is refused too.
    """

    error_messages = {
        **UserCreationForm.error_messages,
        "confusable": "This username looks like another one; please choose a different one.",
    }

    def clean_username(self):
        username = super().clean_username()
        if username is None:  # taken already: Django's form has said so
            return username
        lookalike = latin_lookalike(username)
        taken = lookalike != username and get_user_model().objects.filter(username__iexact=lookalike).exists()
        if taken or confusables.is_dangerous(username):
            raise forms.ValidationError(self.error_messages["confusable"], code="confusable")
        return username
