"""Reads on segments and personas; every read takes the organisation, so nothing is fetched across tenants."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import get_language

from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization
from cxloop.segments.models import Persona, PersonaComment, Segment


def segments(org: Organization) -> QuerySet[Segment]:
    return Segment.objects.filter(org=org).order_by("pk")


def segment(org: Organization, segment_id: int) -> Segment:
    found: Segment = one_or_404(segments(org).select_related("org"), segment_id, "Segment")
    return found


def segment_choices(org: Organization, language: str | None = None) -> list[tuple[int, str]]:
    """(id, name in the language) of the organisation's segments, by name."""
    language = language or get_language() or "en"
    return sorted(((s.pk, s.label(language)) for s in segments(org).only("pk", "name")), key=lambda c: c[1])


def personas(org: Organization) -> QuerySet[Persona]:
    return Persona.objects.filter(org=org).select_related("segment").order_by("pk")


def persona(org: Organization, persona_id: int) -> Persona:
    found: Persona = one_or_404(personas(org).select_related("org"), persona_id, "Persona")
    return found


def comments(persona: Persona) -> QuerySet[PersonaComment]:
    return persona.comments.select_related("author").order_by("created_at", "pk")
