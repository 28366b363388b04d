from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.core.images import ImageInfo, sniff
from cxloop.orgs.models import Organization, OrganizationLogo, Role, Team, TeamKind


class OrgForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo"), required=False,
        help_text=_("PNG, JPEG or WebP, at most 256 KB. Shown at the top of your survey pages."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Organization
        fields = ("name", "default_language", "redact_pii")
        help_texts = {"redact_pii": _("Phone numbers, e-mail addresses, ID card and bank card numbers in comments "
                                      "are shown as [phone], [email], [id], [card] on the theme pages and in "
                                      "exports. The answers themselves are kept as given.")}
        widgets = {
            "default_language": forms.Select(
                choices=[("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
            )
        }

    def __init__(self, *args: Any, has_logo: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logo_info: ImageInfo | None = None
        self.logo_data = b""
        if not has_logo:
            del self.fields["remove_logo"]

    def clean_logo(self) -> Any:
        """The upload's bytes decide: PNG, JPEG or WebP only (never SVG: it can carry script), at most
        256 KB and 4096 pixels a side. The file's name and declared type are ignored."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return upload
        limit = OrganizationLogo.MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The logo is %(size)s KB; the limit is %(limit)s KB."),
                params={"size": -(-upload.size // 1024), "limit": limit // 1024}, code="too_large")
        upload.seek(0)
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise forms.ValidationError(
                _("The logo is %(size)s KB; the limit is %(limit)s KB."),
                params={"size": -(-len(data) // 1024), "limit": limit // 1024}, code="too_large")
        info = sniff(data)
        if info is None:
            raise forms.ValidationError(
                _("The logo must be a PNG, JPEG or WebP image. Other files, SVG included, are not accepted."),
                code="type")
        side = OrganizationLogo.MAX_SIDE
        if info.width > side or info.height > side:
            raise forms.ValidationError(
                _("The logo is %(width)s × %(height)s pixels; at most %(side)s pixels a side are accepted."),
                params={"width": info.width, "height": info.height, "side": side}, code="too_big")
        self.logo_info, self.logo_data = info, data
        return upload


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Department"), choices=TeamKind.choices)
    lead = forms.ChoiceField(label=_("Lead"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, members: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].choices = [("", "—"), *(members or [])]  # type: ignore[attr-defined]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.OWNER],
                             initial=Role.MEMBER)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(org=org)  # type: ignore[attr-defined]


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)
