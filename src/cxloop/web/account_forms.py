"""Forms of the account pages: the list's GET filters and the account-health settings (admins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.core import account_health as core
from cxloop.customers import queries
from cxloop.customers.models import StakeholderRole, Tier
from cxloop.orgs.models import Membership

ROLE_LABELS = dict(StakeholderRole.choices)


class AccountListForm(forms.Form):
    """The list's filters (all GET parameters; missing ones take their defaults)."""

    view = forms.ChoiceField(label=_("Show"), required=False,
                             choices=[("all", _("All accounts")), ("at_risk", _("At risk"))])
    q = forms.CharField(label=_("Search names"), required=False, max_length=200)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    owner = forms.ChoiceField(label=_("Owner CSM"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("name", _("Name")), ("health", _("Health (lowest first)")), ("renewal", _("Renewal date")),
        ("arr", _("ARR (highest first)")), ("coverage", _("Coverage (lowest first)"))])
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, regions: list[str], members: list[Membership]) -> None:
        super().__init__(data)
        self._set("tier", [("", _("Any")), *Tier.choices])
        self._set("region", [("", _("Any")), *[(r, r) for r in regions]])
        self._set("owner", [("", _("Anyone")), *[(str(m.user_id), str(m.user)) for m in members]])

    def _set(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filters(self) -> queries.AccountFilter:
        d = self.cleaned_data
        return queries.AccountFilter(view=d.get("view") or "all", q=(d.get("q") or "").strip(),
                                     tier=d.get("tier") or "", region=d.get("region") or "",
                                     owner_id=int(d["owner"]) if d.get("owner") else None,
                                     sort=d.get("sort") or "name")

    def query(self, *leave_out: str) -> str:
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return ""
        return urlencode([(k, str(v)) for k, v in self.cleaned_data.items()
                          if v not in (None, "") and k not in leave_out])


class HealthSettingsForm(forms.Form):
    """Role weights, key roles, the risk threshold and drop, the weight of coverage, silent accounts."""

    key_roles = forms.MultipleChoiceField(label=_("Key roles (coverage)"), choices=StakeholderRole.choices,
                                          widget=forms.CheckboxSelectMultiple)
    threshold = forms.FloatField(label=_("Low health below"), min_value=0, max_value=100)
    drop_points = forms.FloatField(label=_("Falling by at least (health points)"), min_value=0.1, max_value=100)
    coverage_weight = forms.FloatField(label=_("Weight of coverage in health (0–1)"), min_value=0, max_value=1)
    silent_is_risk = forms.BooleanField(label=_("Accounts with no NPS answer in 90 days are at risk when renewing"),
                                        required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role in core.ROLES:
            self.fields[f"weight_{role}"] = forms.FloatField(
                label=ROLE_LABELS[role], min_value=0.01, max_value=100,
                help_text=_("Default %(weight)s") % {"weight": f"{core.DEFAULT_WEIGHTS[role]:g}"})
        self.order_fields([*(f"weight_{r}" for r in core.ROLES), "key_roles", "threshold", "drop_points",
                           "coverage_weight", "silent_is_risk"])

    @classmethod
    def initial_from(cls, s: core.HealthSettings) -> dict[str, Any]:
        return {**{f"weight_{r}": s.weights[r] for r in core.ROLES}, "key_roles": list(s.key_roles),
                "threshold": s.threshold, "drop_points": s.drop_points, "coverage_weight": s.coverage_weight,
                "silent_is_risk": s.silent_is_risk}

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{r}"] for r in core.ROLES]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("key_roles", "threshold", "drop_points", "coverage_weight", "silent_is_risk")]

    def weights(self) -> dict[str, float]:
        return {r: self.cleaned_data[f"weight_{r}"] for r in core.ROLES}
