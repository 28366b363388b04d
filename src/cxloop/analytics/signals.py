"""Rollups group by the account's tier: when an account's tier changes, every day with a complete
response of that account is marked for recomputation (``rollups.mark_account_dirty``). A change made
with ``QuerySet.update`` sends no signal; run ``cxloop rollups rebuild`` after one."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from cxloop.analytics import rollups
from cxloop.customers.models import Account


@receiver(pre_save, sender=Account, dispatch_uid="cxloop.analytics.tier_before")
def _tier_before(sender: type[Account], instance: Account, update_fields: Any = None, **kwargs: Any) -> None:
    instance._cx_tier_before = None  # type: ignore[attr-defined]
    if instance._state.adding or instance.pk is None or (update_fields is not None and "tier" not in update_fields):
        return
    instance._cx_tier_before = (  # type: ignore[attr-defined]
        Account.objects.filter(pk=instance.pk).values_list("tier", flat=True).first())


@receiver(post_save, sender=Account, dispatch_uid="cxloop.analytics.tier_after")
def _tier_after(sender: type[Account], instance: Account, created: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_cx_tier_before", None)
    if not created and before is not None and before != instance.tier:
        rollups.mark_account_dirty(instance.pk)
