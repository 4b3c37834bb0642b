"""Forms of the album pages: the album itself, a member, and the photo ids a page posts."""

from django import forms
from django.contrib.auth import get_user_model

from gallery.albums.models import Album, AlbumMember, Role
from gallery.albums.serializers import MAX_ID


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title", "description", "visibility"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"visibility": "A private photo stays private inside a public album, except to its members."}


class MemberForm(forms.Form):
    """Add a user to an album by username, or change their role."""

    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, album, *args, **kwargs):
        self.album = album
        super().__init__(*args, **kwargs)

    def clean_username(self):
        user = get_user_model().objects.filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise forms.ValidationError("There is no user of that name.")
        if user.pk == self.album.owner_id:
            raise forms.ValidationError("The owner is not a member of their own album.")
        return user

    def save(self):
        membership, _ = AlbumMember.objects.update_or_create(
            album=self.album, user=self.cleaned_data["username"], defaults={"role": self.cleaned_data["role"]}
        )
        return membership


class PhotoIdsField(forms.Field):
    """Photo ids, posted as several values under one name (a grid's checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Select one or more photos first.", "invalid": "Those are not photo ids."}

    def to_python(self, value):
        try:
            ids = [int(item) for item in value or ()]
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(not 1 <= pk <= MAX_ID for pk in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class PhotoSelectionForm(forms.Form):
    """The photos a page's grid selected, and the album to add them to, if any."""

    photo = PhotoIdsField()
    album = forms.ModelChoiceField(queryset=Album.objects.none(), required=False)

    def __init__(self, *args, albums=None, **kwargs):
        super().__init__(*args, **kwargs)
        if albums is not None:
            self.fields["album"].queryset = albums
