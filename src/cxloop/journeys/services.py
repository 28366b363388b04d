"""Editing journeys: touchpoints, journeys, stages and steps, each change validated (problems name the field),
atomic and audited. Order is kept dense (0, 1, 2, …) inside a journey's stages and a stage's steps, so moving
one place up or down is a swap and moving a step to another stage appends it there."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cxloop.core import names
from cxloop.journeys.models import Journey, Stage, Step, Touchpoint, TouchpointChannel
from cxloop.orgs.models import Organization, Team, User
from cxloop.orgs.services import ServiceError, audit

LANGUAGES = ("zh-hans", "zh-hant", "en")
MAX_NAME = 200
MAX_TEXT = 4000
LANES = ("actions", "frontstage", "backstage", "support", "opportunities")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class JourneyError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


def clean_name(raw: Any, field: str = "name") -> dict[str, str]:
    """``{language: text}`` with at least one text; plain text is every language's (``core.names``)."""
    try:
        return names.clean_names(raw, field, max_length=MAX_NAME)
    except names.BadName as bad:
        raise JourneyError(str(bad), field=bad.field) from bad


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise JourneyError(f"{field}: must be text", field=field)
    if len(value) > MAX_TEXT:
        raise JourneyError(f"{field}: at most {MAX_TEXT} characters", field=field)
    return value.strip()


# --- touchpoints ---------------------------------------------------------------------------------------


def save_touchpoint(*, org: Organization, key: str, name: Any, channel: str = TouchpointChannel.WEB,
                    owner_team: Team | int | None = None, description: str = "", touchpoint: Touchpoint | None = None,
                    actor: User | None = None) -> Touchpoint:
    key = (key or "").strip().lower()
    if not KEY.match(key):
        raise JourneyError("key: lower-case letters, digits, - and _ (what responses name in their touchpoint)",
                           field="key")
    if channel not in TouchpointChannel.values:
        raise JourneyError(f"channel: one of {', '.join(TouchpointChannel.values)}", field="channel")
    team: Team | None = None
    if owner_team is not None:
        team_id = owner_team if isinstance(owner_team, int) else owner_team.pk
        team = Team.objects.filter(org=org, pk=team_id).first()
        if team is None:
            raise JourneyError("owner_team: no such team in this organisation", field="owner_team", status=404)
    names = clean_name(name)
    taken = Touchpoint.objects.filter(org=org, key=key)
    if touchpoint is not None:
        taken = taken.exclude(pk=touchpoint.pk)
    if taken.exists():
        raise JourneyError(f"key: the touchpoint {key!r} already exists", field="key", status=409)
    with transaction.atomic():
        if touchpoint is None:
            touchpoint = Touchpoint(org=org)
        touchpoint.key, touchpoint.name, touchpoint.channel = key, names, channel
        touchpoint.owner_team, touchpoint.description = team, _text(description, "description")
        touchpoint.save()
        audit("touchpoint.saved", org=org, actor=actor, target=key)
    return touchpoint


def delete_touchpoint(*, touchpoint: Touchpoint, actor: User | None = None) -> None:
    if touchpoint.steps.exists():
        raise JourneyError("touchpoint: it is on a journey; remove it from the journey first", field="touchpoint",
                           status=409)
    with transaction.atomic():
        audit("touchpoint.deleted", org=touchpoint.org, actor=actor, target=touchpoint.key)
        touchpoint.delete()


def owner_team(org: Organization | int, key: str) -> Team | None:
    """The owner team of the touchpoint a response names (the default route of its alerts)."""
    org_id = org if isinstance(org, int) else org.pk
    found = Touchpoint.objects.filter(org_id=org_id, key=key).select_related("owner_team").first()
    return found.owner_team if found is not None else None


# --- journeys ------------------------------------------------------------------------------------------


def save_journey(*, org: Organization, name: Any, description: str = "", journey: Journey | None = None,
                 actor: User | None = None) -> Journey:
    names = clean_name(name)
    with transaction.atomic():
        if journey is None:
            journey = Journey(org=org)
        journey.name, journey.description = names, _text(description, "description")
        journey.updated_at = timezone.now()
        journey.save()
        audit("journey.saved", org=org, actor=actor, target=str(journey.pk))
    return journey


def delete_journey(*, journey: Journey, actor: User | None = None) -> None:
    with transaction.atomic():
        audit("journey.deleted", org=journey.org, actor=actor, target=str(journey.pk))
        journey.delete()


def _touch(journey: Journey) -> None:
    Journey.objects.filter(pk=journey.pk).update(updated_at=timezone.now())


# --- stages --------------------------------------------------------------------------------------------


def add_stage(*, journey: Journey, name: Any, description: str = "", actor: User | None = None) -> Stage:
    names = clean_name(name)
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=journey.pk).first()
        last = journey.stages.aggregate(m=Max("position"))["m"]
        stage = Stage.objects.create(journey=journey, name=names, description=_text(description, "description"),
                                     position=0 if last is None else last + 1)
        _touch(journey)
        audit("journey.stage_added", org=journey.org, actor=actor, target=f"{journey.pk}/{stage.pk}")
    return stage


def update_stage(*, stage: Stage, name: Any, description: str = "", actor: User | None = None) -> Stage:
    stage.name, stage.description = clean_name(name), _text(description, "description")
    with transaction.atomic():
        stage.save(update_fields=["name", "description"])
        _touch(stage.journey)
        audit("journey.stage_saved", org=stage.journey.org, actor=actor, target=f"{stage.journey_id}/{stage.pk}")
    return stage


def delete_stage(*, stage: Stage, actor: User | None = None) -> None:
    journey = stage.journey
    with transaction.atomic():
        audit("journey.stage_deleted", org=journey.org, actor=actor, target=f"{journey.pk}/{stage.pk}")
        stage.delete()
        _renumber(list(journey.stages.order_by("position", "pk")))
        _touch(journey)


def _renumber(items: list[Any]) -> None:
    for i, item in enumerate(items):
        if item.position != i:
            item.position = i
            item.save(update_fields=["position"])


def _move(items: list[Any], item: Any, delta: int, field: str) -> None:
    index = next(i for i, x in enumerate(items) if x.pk == item.pk)
    target = index + delta
    if not 0 <= target < len(items):
        raise JourneyError(f"{field}: already {'first' if delta < 0 else 'last'}", field=field, status=409)
    items.insert(target, items.pop(index))
    _renumber(items)


def move_stage(*, stage: Stage, delta: int, actor: User | None = None) -> None:
    """One place earlier (−1) or later (+1)."""
    if delta not in (-1, 1):
        raise JourneyError("delta: −1 or 1", field="delta")
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=stage.journey_id).first()
        _move(list(Stage.objects.filter(journey_id=stage.journey_id).order_by("position", "pk")), stage, delta,
              "position")
        _touch(stage.journey)
        audit("journey.stage_moved", org=stage.journey.org, actor=actor, target=f"{stage.journey_id}/{stage.pk}")


# --- steps ---------------------------------------------------------------------------------------------


def _lanes(values: Mapping[str, Any]) -> dict[str, str]:
    return {lane: _text(values.get(lane), lane) for lane in LANES if lane in values}


def _target(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise JourneyError("target: a number from −1 to 1", field="target") from None
    if not -1 <= number <= 1:
        raise JourneyError("target: a number from −1 to 1", field="target")
    return number


def add_step(*, stage: Stage, touchpoint: Touchpoint, lanes: Mapping[str, Any] | None = None,
             target: Any = None, actor: User | None = None) -> Step:
    if touchpoint.org_id != stage.journey.org_id:
        raise JourneyError("touchpoint: no such touchpoint in this organisation", field="touchpoint", status=404)
    values = _lanes(lanes or {})
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=stage.journey_id).first()
        last = stage.steps.aggregate(m=Max("position"))["m"]
        step = Step.objects.create(stage=stage, touchpoint=touchpoint, position=0 if last is None else last + 1,
                                   target=_target(target), **values)
        _touch(stage.journey)
        audit("journey.step_added", org=stage.journey.org, actor=actor, target=f"{stage.journey_id}/{touchpoint.key}")
    return step


def update_step(*, step: Step, lanes: Mapping[str, Any], target: Any = None, actor: User | None = None) -> Step:
    values = _lanes(lanes)
    for lane, text in values.items():
        setattr(step, lane, text)
    step.target = _target(target)
    with transaction.atomic():
        step.save()
        _touch(step.stage.journey)
        audit("journey.step_saved", org=step.stage.journey.org, actor=actor, target=str(step.pk))
    return step


def delete_step(*, step: Step, actor: User | None = None) -> None:
    stage = step.stage
    with transaction.atomic():
        audit("journey.step_deleted", org=stage.journey.org, actor=actor, target=str(step.pk))
        step.delete()
        _renumber(list(stage.steps.order_by("position", "pk")))
        _touch(stage.journey)


def move_step(*, step: Step, delta: int, actor: User | None = None) -> None:
    """One place earlier (−1) or later (+1) in its stage."""
    if delta not in (-1, 1):
        raise JourneyError("delta: −1 or 1", field="delta")
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=step.stage.journey_id).first()
        _move(list(Step.objects.filter(stage_id=step.stage_id).order_by("position", "pk")), step, delta, "position")
        _touch(step.stage.journey)
        audit("journey.step_moved", org=step.stage.journey.org, actor=actor, target=str(step.pk))


def move_step_to(*, step: Step, stage: Stage, actor: User | None = None) -> None:
    """To the end of another stage of the same journey."""
    if stage.journey_id != step.stage.journey_id:
        raise JourneyError("stage: no such stage in this journey", field="stage", status=404)
    if stage.pk == step.stage_id:
        return
    with transaction.atomic():
        Journey.objects.select_for_update().filter(pk=stage.journey_id).first()
        old = step.stage
        last = stage.steps.aggregate(m=Max("position"))["m"]
        step.stage, step.position = stage, 0 if last is None else last + 1
        step.save(update_fields=["stage", "position"])
        _renumber(list(old.steps.order_by("position", "pk")))
        _touch(stage.journey)
        audit("journey.step_moved", org=stage.journey.org, actor=actor, target=str(step.pk))


def link_survey(*, touchpoint: Touchpoint, survey: Any, actor: User | None = None) -> None:
    """Responses to ``survey`` name this touchpoint from now on (unless their invitation, distribution or the
    capture itself names another); earlier responses keep theirs."""
    if survey.org_id != touchpoint.org_id:
        raise JourneyError("survey: no such survey in this organisation", field="survey", status=404)
    with transaction.atomic():
        survey.touchpoint = touchpoint.key
        survey.save(update_fields=["touchpoint"])
        audit("touchpoint.survey_linked", org=touchpoint.org, actor=actor, target=f"{touchpoint.key}:{survey.pk}")


def set_personas(*, journey: Journey, persona_ids: Any, actor: User | None = None) -> None:
    """The personas whose journey this is (the organisation's only; unknown ids are refused, nothing changes)."""
    from cxloop.segments.models import Persona

    if not isinstance(persona_ids, list | tuple) or not all(isinstance(i, int) for i in persona_ids):
        raise JourneyError("personas: a list of persona ids", field="personas")
    found = list(Persona.objects.filter(org_id=journey.org_id, pk__in=persona_ids))
    if len(found) != len(set(persona_ids)):
        raise JourneyError("personas: no such persona in this organisation", field="personas", status=404)
    with transaction.atomic():
        journey.personas.set(found)
        _touch(journey)
        audit("journey.personas_set", org=journey.org, actor=actor, target=str(journey.pk))
