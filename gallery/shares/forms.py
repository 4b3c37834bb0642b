"""The form that makes a share link on the pages, with the API's choices."""

from django import forms

from gallery.shares.models import DEFAULT_EXPIRY_DAYS, EXPIRY_DAYS, ShareLink

NEVER = "never"
EXPIRY_CHOICES = [(str(days), f"{days} day{'s' if days != 1 else ''}") for days in EXPIRY_DAYS] + [(NEVER, "Never")]


class ShareLinkForm(forms.ModelForm):
    expires_in = forms.ChoiceField(label="Expires after", choices=EXPIRY_CHOICES, initial=str(DEFAULT_EXPIRY_DAYS))
    new_password = forms.CharField(
        label="Password",
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Visitors must type it before they see anything. Leave it empty for none.",
    )

    class Meta:
        model = ShareLink
        fields = ["label", "expires_in", "new_password", "allow_download"]
        labels = {"allow_download": "Let visitors download the originals"}

    def save(self, commit=True):
        link = super().save(commit=False)
        expires_in = self.cleaned_data["expires_in"]
        link.expire_in(None if expires_in == NEVER else int(expires_in))
        link.set_password(self.cleaned_data["new_password"])
        if commit:
            link.save()
        return link


class SharePasswordForm(forms.Form):
    password = forms.CharField(strip=False, max_length=128, widget=forms.PasswordInput(attrs={"autofocus": True}))
