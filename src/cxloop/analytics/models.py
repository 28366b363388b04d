"""Rollups of sufficient statistics, and the markers of rollup buckets that need recomputing.

``ScoreRollup``: how many complete responses gave each value to one numeric question (a scale question,
or one item of a matrix / SUS / UMUX-Lite question), per survey, per period and per combination of the
dimensions dashboards group by (touchpoint, channel, language, account tier). Two grains: one row set per
local day (``grain="d"``, the day in ``settings.TIME_ZONE``) and one per calendar month (``grain="m"``,
the sum of that month's day rows), so a two-year monthly read touches 24 month buckets, not 730 days.
Months also come collapsed (``"m:touchpoint"``, …, ``"m:total"``: one dimension kept and the others
summed out, or none), so a monthly read grouped by one dimension without filters reads a few rows per
month instead of every combination of the four. Only complete responses count; partial ones join when they
are completed.

``RollupDirty``: a (survey, day) whose rollups may no longer match the raw answers. Written by the
capture paths in their own transaction (one ``INSERT … ON CONFLICT DO NOTHING`` per written group);
removed when ``analytics.rollups.refresh`` recomputes the bucket. Readers treat a marked day as unknown
and count it from the raw answers, so what they return is exact.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxloop.surveys.models import Survey

DAY = "d"
MONTH = "m"
DIMENSIONS = ("touchpoint", "channel", "language", "tier")
LEVELS = (*DIMENSIONS, "total")  # collapsed levels: one dimension kept, or none


def grain(base: str, level: str | None = None) -> str:
    """The grain of rows with every dimension (``"d"``, ``"m"``), or of a collapsed month level:
    ``"m:touchpoint"`` has the other dimensions summed out (stored as ""), ``"m:total"`` all of them."""
    return base if level is None else f"{base}:{level}"


class ScoreRollup(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    question_key = models.CharField(max_length=130)
    grain = models.CharField(max_length=16)  # "d" (a local day) or "m" (a calendar month), maybe ":<level>"
    period = models.DateField()  # the day, or the first day of the month
    touchpoint = models.CharField(max_length=120)
    channel = models.CharField(max_length=32)
    language = models.CharField(max_length=10)
    tier = models.CharField(max_length=16)  # the account's tier; "" for a response without an account
    value = models.FloatField()  # the answer (a whole number on the question's scale)
    count = models.BigIntegerField()

    class Meta:
        indexes: ClassVar = [
            # Reads: one question of some surveys over a period range. Every column is in the index
            # (``count`` last), so a read never visits the table.
            models.Index(
                fields=["survey", "question_key", "grain", "period", "touchpoint", "channel", "language", "tier",
                        "value", "count"],
                name="rollup_read",
            ),
            # Maintenance: replace one survey's day or month bucket, all questions at once.
            models.Index(fields=["survey", "grain", "period"], name="rollup_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.question_key} {self.period} {self.value}×{self.count}"


class RollupDirty(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()  # local day (settings.TIME_ZONE) of the responses' submitted_at

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["survey", "day"], name="rollupdirty_unique")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} {self.day}"


class DigestDelivery(models.Model):
    """One weekly team digest e-mail to one member, for the week starting ``week`` (a local Monday).

    Created once per (team, user, week) — the unique constraint makes the weekly clock safe to run on
    several workers — then sent by ``analytics.tasks.send_digest``, which claims each attempt with a
    conditional update so a message is never sent twice."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("orgs.Team", on_delete=models.CASCADE, related_name="digests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-week", "team", "user")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["team", "user", "week"], name="digest_once_per_week")
        ]

    def __str__(self) -> str:
        return f"digest {self.week} {self.team_id} → {self.user_id}"
