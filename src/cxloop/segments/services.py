"""Verbs on segments and personas: save (create or change) and delete, each validated (a problem names its
field, a definition's problems their JSON path under ``definition``), atomic and audited; comments on personas.

Texts people write come as plain text or ``{language: text}``; plain text given with a ``language`` changes
that language's text and keeps the others (the pages edit the reader's language), without one it is every
language's. Lists (goals, pains, jobs to be done, quotes) likewise, as lists of lines."""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxloop.core import segments as core
from cxloop.orgs.models import ApiKey, Organization, User
from cxloop.orgs.services import ServiceError, audit
from cxloop.segments.members import contacts
from cxloop.segments.models import LANGUAGES, Persona, PersonaComment, Segment

MAX_NAME = 120
MAX_TEXT = 4000
MAX_ITEMS = 20
MAX_ITEM = 500
MAX_COMMENT = 4000
PALETTE = (  # the avatar colours (CSS classes persona-c0 … persona-c7: the CSP allows no inline style)
    "#2f6fae", "#2e7d5b", "#8a4fa3", "#b4562b", "#1f7a8c", "#a23b5a", "#5b6b2e", "#6a5acd")
LIST_FIELDS = ("goals", "pains", "jobs_to_be_done", "quotes")


class SegmentServiceError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422, problems: Sequence[core.Problem] = ()) -> None:
        super().__init__(message, field=field, status=status)
        self.problems = list(problems)


@dataclass(frozen=True)
class Who:
    """Who makes a change: a signed-in user or an API key (for the audit log)."""

    user: User | None = None
    api_key: ApiKey | None = None


# --- cleaning ------------------------------------------------------------------------------------------


def _check_language(language: str, field: str) -> None:
    if language not in LANGUAGES:
        raise SegmentServiceError(f"{field}.{language}: use zh-hans, zh-hant or en", field=f"{field}.{language}")


def clean_text(raw: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT, language: str = "",
               existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{language: text}`` from plain text or a mapping (see the module)."""
    if raw is None:
        raw = ""
    if isinstance(raw, str):
        text = raw.strip()
        if language:
            _check_language(language, field)
            out = {k: v for k, v in (existing or {}).items() if k in LANGUAGES and v}
            if text:
                out[language] = text
            else:
                out.pop(language, None)
            raw = out
        else:
            raw = dict.fromkeys(LANGUAGES, text) if text else {}
    if not isinstance(raw, Mapping):
        raise SegmentServiceError(f"{field}: give text or {{language: text}}", field=field)
    cleaned: dict[str, str] = {}
    for lang, text in raw.items():
        _check_language(str(lang), field)
        if not isinstance(text, str):
            raise SegmentServiceError(f"{field}.{lang}: must be text", field=f"{field}.{lang}")
        if len(text.strip()) > limit:
            raise SegmentServiceError(f"{field}.{lang}: at most {limit} characters", field=f"{field}.{lang}")
        if text.strip():
            cleaned[str(lang)] = text.strip()
    if required and not cleaned:
        raise SegmentServiceError(f"{field}: required", field=field)
    return cleaned


def _lines(raw: Any, field: str) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        raise SegmentServiceError(f"{field}: give a list of texts", field=field)
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise SegmentServiceError(f"{field}[{i}]: must be text", field=f"{field}[{i}]")
        item = item.strip().lstrip("-•*").strip()
        if len(item) > MAX_ITEM:
            raise SegmentServiceError(f"{field}[{i}]: at most {MAX_ITEM} characters", field=f"{field}[{i}]")
        if item:
            out.append(item)
    if len(out) > MAX_ITEMS:
        raise SegmentServiceError(f"{field}: at most {MAX_ITEMS} items", field=field)
    return out


def clean_list(raw: Any, field: str, *, language: str = "",
               existing: Mapping[str, list[str]] | None = None) -> dict[str, list[str]]:
    """``{language: [text, …]}`` from a list (or lines of text) or a mapping of them."""
    if raw is None:
        raw = []
    if not isinstance(raw, Mapping):
        items = _lines(raw, field)
        if language:
            _check_language(language, field)
            out = {k: list(v) for k, v in (existing or {}).items() if k in LANGUAGES and v}
            if items:
                out[language] = items
            else:
                out.pop(language, None)
            return out
        return dict.fromkeys(LANGUAGES, items) if items else {}
    cleaned: dict[str, list[str]] = {}
    for lang, items in raw.items():
        _check_language(str(lang), field)
        found = _lines(items, f"{field}.{lang}")
        if found:
            cleaned[str(lang)] = found
    return cleaned


def clean_definition(raw: Any) -> dict[str, Any]:
    """The canonical definition, or an error naming every problem at ``definition.<path>``."""
    try:
        condition = core.parse(raw)
    except core.SegmentError as exc:
        problems = [core.Problem(f"definition.{p.path}" if p.path else "definition", p.message)
                    for p in exc.problems]
        first = problems[0]
        raise SegmentServiceError("; ".join(str(p) for p in problems), field=first.path, problems=problems) from exc
    return core.to_json(condition)


def initials_of(name: str) -> str:
    """Two letters for an avatar: the first letters of two words, or the first two characters of a Chinese
    name (a Latin word inside it counts as one)."""
    words = re.findall(r"[A-Za-z][A-Za-z'-]*|[^\sA-Za-z0-9]", name)
    if not words:
        return (name.strip()[:2] or "?").upper()
    return "".join(w[0] for w in words[:2]).upper()


def _colour(raw: Any, seed: str) -> str:
    if raw in (None, ""):
        return PALETTE[zlib.crc32(seed.encode()) % len(PALETTE)]
    if not isinstance(raw, str) or raw.strip().lower() not in PALETTE:
        raise SegmentServiceError(f"colour: one of {', '.join(PALETTE)}", field="colour")
    return raw.strip().lower()


def _name_taken(model: type[Segment] | type[Persona], org: Organization, names: Mapping[str, str],
                exclude: int | None) -> bool:
    wanted = {n.casefold() for n in names.values()}
    others = model.objects.filter(org=org)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return any(wanted & {str(n).casefold() for n in (o.name or {}).values()} for o in others.only("name"))


# --- segments ------------------------------------------------------------------------------------------


def save_segment(*, org: Organization, name: Any, definition: Any, segment: Segment | None = None,
                 language: str = "", who: Who | None = None) -> Segment:
    """Create (``segment`` None) or change a segment of ``org``."""
    who = who or Who()
    names = clean_text(name, "name", required=True, limit=MAX_NAME, language=language,
                       existing=segment.name if segment else None)
    cleaned = clean_definition(definition)
    if segment is not None and segment.org_id != org.pk:
        raise SegmentServiceError("segment: not found", field="segment", status=404)
    if _name_taken(Segment, org, names, segment.pk if segment else None):
        raise SegmentServiceError("name: another segment has this name", field="name", status=409)
    with transaction.atomic():
        now = timezone.now()
        created = segment is None
        if segment is None:
            segment = Segment(org=org, created_by=who.user, created_at=now)
        segment.name, segment.definition, segment.updated_at = names, cleaned, now
        segment.save()
        audit("segment.created" if created else "segment.changed", org=org, actor=who.user, api_key=who.api_key,
              target=segment.label("zh-hans"), segment=segment.pk)
    return segment


def delete_segment(*, segment: Segment, who: Who | None = None) -> None:
    who = who or Who()
    with transaction.atomic():
        audit("segment.deleted", org=segment.org, actor=who.user, api_key=who.api_key,
              target=segment.label("zh-hans"), segment=segment.pk)
        segment.delete()


@dataclass(frozen=True)
class Preview:
    count: int
    first: list[Any]
    description: dict[str, str]


def preview(*, org: Organization, definition: Any, limit: int = 20) -> Preview:
    """How many contacts a definition selects now and the first ``limit`` of them (before saving)."""
    cleaned = clean_definition(definition)
    qs = contacts(org.pk, cleaned)
    condition = core.parse(cleaned)
    return Preview(count=qs.count(), first=list(qs.select_related("account").order_by("name", "pk")[:limit]),
                   description={lang: core.describe(condition, lang) for lang in LANGUAGES})


# --- personas ------------------------------------------------------------------------------------------


def _segment_of(org: Organization, raw: Any) -> Segment | None:
    if raw in (None, "", 0):
        return None
    found: Segment | None = None
    if isinstance(raw, Segment):
        found = raw if raw.org_id == org.pk else None
    else:
        with contextlib.suppress(TypeError, ValueError):  # not a number: not found
            found = Segment.objects.filter(org=org, pk=int(raw)).first()
    if found is None:
        raise SegmentServiceError("segment: not found in this organisation", field="segment")
    return found


def save_persona(*, org: Organization, data: Mapping[str, Any], persona: Persona | None = None,
                 language: str = "", who: Who | None = None) -> Persona:
    """Create or change a persona from ``data`` (name required; role, description, goals, pains,
    jobs_to_be_done, quotes, segment (id or None), initials and colour optional). On a change, keys left
    out of ``data`` keep their value."""
    who = who or Who()
    if persona is not None and persona.org_id != org.pk:
        raise SegmentServiceError("persona: not found", field="persona", status=404)
    known = {"name", "role", "description", "segment", "initials", "colour", *LIST_FIELDS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SegmentServiceError(f"{unknown[0]}: unknown field", field=unknown[0])
    target = persona or Persona(org=org, created_by=who.user)

    def has(key: str) -> bool:
        return key in data or persona is None

    if has("name"):
        target.name = clean_text(data.get("name"), "name", required=True, limit=MAX_NAME, language=language,
                                 existing=persona.name if persona else None)
    if has("role"):
        target.role = clean_text(data.get("role"), "role", limit=MAX_NAME, language=language,
                                 existing=persona.role if persona else None)
    if has("description"):
        target.description = clean_text(data.get("description"), "description", language=language,
                                        existing=persona.description if persona else None)
    for key in LIST_FIELDS:
        if has(key):
            setattr(target, key, clean_list(data.get(key), key, language=language,
                                            existing=getattr(persona, key) if persona else None))
    if has("segment"):
        target.segment = _segment_of(org, data.get("segment"))
    label = target.label(language or "zh-hans")
    if "initials" in data and data["initials"] not in (None, ""):
        initials = data["initials"]
        if not isinstance(initials, str) or not 1 <= len(initials.strip()) <= 4:
            raise SegmentServiceError("initials: 1 to 4 characters", field="initials")
        target.initials = initials.strip().upper()
    elif persona is None or not target.initials:
        target.initials = initials_of(label)
    if has("colour"):
        target.colour = _colour(data.get("colour"), label)
    if _name_taken(Persona, org, target.name, persona.pk if persona else None):
        raise SegmentServiceError("name: another persona has this name", field="name", status=409)
    with transaction.atomic():
        target.updated_at = timezone.now()
        target.save()
        audit("persona.created" if persona is None else "persona.changed", org=org, actor=who.user,
              api_key=who.api_key, target=target.label("zh-hans"), persona=target.pk)
    return target


def delete_persona(*, persona: Persona, who: Who | None = None) -> None:
    who = who or Who()
    with transaction.atomic():
        audit("persona.deleted", org=persona.org, actor=who.user, api_key=who.api_key,
              target=persona.label("zh-hans"), persona=persona.pk)
        persona.delete()


def add_comment(*, persona: Persona, body: Any, who: Who | None = None) -> PersonaComment:
    who = who or Who()
    if not isinstance(body, str) or not body.strip():
        raise SegmentServiceError("body: write a comment", field="body")
    if len(body) > MAX_COMMENT:
        raise SegmentServiceError(f"body: at most {MAX_COMMENT} characters", field="body")
    with transaction.atomic():
        comment = PersonaComment.objects.create(persona=persona, author=who.user, body=body.strip())
        audit("persona.commented", org=persona.org, actor=who.user, api_key=who.api_key,
              target=persona.label("zh-hans"), persona=persona.pk, comment=comment.pk)
    return comment


# --- survey targeting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteResult:
    members: int
    invited: int
    held_back: int  # frequency cap, unsubscribed, or no e-mail address


def invite_members(*, survey: Any, segment: Segment, language: str = "", who: Who | None = None) -> InviteResult:
    """Invite every current member of ``segment`` to ``survey`` by e-mail, now, through the organisation's
    frequency cap, as one distribution named after the segment (so the survey's funnel shows the wave)."""
    from cxloop.surveys import invitations
    from cxloop.surveys.models import Channel, Distribution

    who = who or Who()
    if segment.org_id != survey.org_id:
        raise SegmentServiceError("segment: not found", field="segment", status=404)
    if not survey.is_open:
        raise SegmentServiceError("survey: not open for responses (publish it first)", field="survey", status=409)
    found = list(contacts(survey.org_id, segment.definition).order_by("pk"))
    invited = held = 0
    with transaction.atomic():
        distribution = Distribution.objects.create(
            org=survey.org, survey=survey, channel=Channel.EMAIL, touchpoint=survey.touchpoint,
            name=f"{segment.label(language or 'zh-hans')} · {timezone.localdate().isoformat()}"[:200],
            settings={"segment": segment.pk}, active=False)
        for contact in found:
            if not contact.email or contact.unsubscribed_at is not None:
                held += 1
                continue
            result = invitations.invite(survey=survey, contact=contact, distribution=distribution, send="email",
                                        touchpoint=survey.touchpoint)
            if result.invitation is None:
                held += 1
            else:
                invited += 1
        distribution.last_run = {"at": timezone.now().isoformat(), "audience": len(found), "invited": invited,
                                 "suppressed": held}
        distribution.save(update_fields=["last_run"])
        audit("segment.invited", org=survey.org, actor=who.user, api_key=who.api_key, target=survey.name,
              segment=segment.pk, survey=survey.pk, invited=invited, held_back=held)
    return InviteResult(members=len(found), invited=invited, held_back=held)
