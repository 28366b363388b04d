"""Segments (saved filters over contacts, their accounts and behaviour: ``core.segments`` definitions) and
personas (the shared library of product and CX teams), each persona optionally linked to the segment whose
contacts it stands for, with a comment thread.

Texts a person writes in their language are stored as ``{language: text}`` (``name``, ``description``) or
``{language: [text, …]}`` (goals, pains, jobs to be done, quotes); ``localised`` picks one language."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxloop.orgs.models import Organization

LANGUAGES = ("zh-hans", "zh-hant", "en")


def localised(value: Any, language: str) -> Any:
    """One language's text (or list) of a ``{language: …}`` value: the language asked, then the other
    Chinese one, Simplified Chinese, English, anything; a plain value as it is."""
    if not isinstance(value, dict):
        return value
    language = (language or "en").lower()
    language = "zh-hant" if language in ("zh-tw", "zh-hk") else "zh-hans" if language.startswith("zh-") and \
        language not in LANGUAGES else language
    other = {"zh-hans": "zh-hant", "zh-hant": "zh-hans"}.get(language, "zh-hans")
    for lang in (language, other, "zh-hans", "en", *value):
        found = value.get(lang)
        if found:
            return found
    return next(iter(value.values()), "")


class Segment(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="segments")
    name = models.JSONField(default=dict)  # {language: text}
    definition = models.JSONField(default=dict)  # a core.segments condition
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)
        indexes: ClassVar = [models.Index(fields=["org", "updated_at"], name="segment_org_time")]

    def __str__(self) -> str:
        return str(localised(self.name, "zh-hans"))

    def label(self, language: str) -> str:
        return str(localised(self.name, language))


class Persona(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="personas")
    name = models.JSONField(default=dict)  # {language: text}
    initials = models.CharField(max_length=4)
    colour = models.CharField(max_length=7, default="#2f6fae")
    role = models.JSONField(default=dict, blank=True)  # {language: text}: a one-line title, e.g. "IT lead"
    description = models.JSONField(default=dict, blank=True)  # {language: text}
    goals = models.JSONField(default=dict, blank=True)  # {language: [text, …]}
    pains = models.JSONField(default=dict, blank=True)
    jobs_to_be_done = models.JSONField(default=dict, blank=True)
    quotes = models.JSONField(default=dict, blank=True)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="personas")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)
        indexes: ClassVar = [models.Index(fields=["org", "updated_at"], name="persona_org_time")]

    def __str__(self) -> str:
        return str(localised(self.name, "zh-hans"))

    def label(self, language: str) -> str:
        return str(localised(self.name, language))


class PersonaComment(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"comment {self.pk} on persona {self.persona_id}"
