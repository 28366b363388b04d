"""Reads of accounts and contacts, scoped to one organisation."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from cxloop.customers.models import Account, Contact
from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization


def accounts(org: Organization, *, tier: str | None = None, search: str | None = None) -> QuerySet[Account]:
    qs = Account.objects.filter(org=org).annotate(contact_count=Count("contacts"))
    if tier:
        qs = qs.filter(tier=tier)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def account(org: Organization, account_id: int) -> Account:
    return one_or_404(accounts(org), account_id, "Account")


def contacts(org: Organization, *, account_id: int | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.filter(org=org)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def contact(org: Organization, contact_id: int) -> Contact:
    return one_or_404(contacts(org), contact_id, "Contact")
