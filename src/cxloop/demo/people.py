"""Customers: 300 B2B accounts (tier, region, industry, ARR, modules) and their contacts."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from cxloop.customers.models import Account, Contact
from cxloop.demo import content
from cxloop.demo.base import BATCH_SIZE, AccountInfo, ContactInfo, Scale, aware, weighted
from cxloop.demo.hant import to_hant
from cxloop.demo.timeline import Timeline
from cxloop.orgs.models import Organization, User

TIER_SHARE: tuple[tuple[str, float], ...] = (("enterprise", 0.15), ("mid_market", 0.35), ("smb", 0.50))


# --- accounts --------------------------------------------------------------------------------------------

_DOMAIN_WORD: dict[str, str] = {
    "manufacturing": "mfg", "retail": "retail", "logistics": "logistics", "finance": "capital",
    "education": "edu", "healthcare": "med", "technology": "tech", "energy": "energy",
    "real_estate": "build", "consumer": "brands", "professional": "consulting",
}
_OVERSEAS_TLD: dict[str, str] = {
    "Singapore": "com.sg", "Kuala Lumpur": "com.my", "Frankfurt": "de", "Tokyo": "co.jp", "Sydney": "com.au",
    "Bangkok": "co.th", "London": "co.uk",
}
# ARR in CNY: median and spread of a log-normal, bounds, rounding step.
_ARR: dict[str, tuple[float, float, int, int, int]] = {
    "enterprise": (780_000, 0.55, 280_000, 6_000_000, 1_000),
    "mid_market": (160_000, 0.45, 60_000, 600_000, 500),
    "smb": (32_000, 0.50, 6_000, 90_000, 100),
}
_SEATS: dict[str, tuple[int, int]] = {"enterprise": (300, 3000), "mid_market": (60, 400), "smb": (5, 80)}
_TIER_HEALTH: dict[str, float] = {"enterprise": 0.18, "mid_market": 0.05, "smb": -0.08}


@dataclass
class _CompanyName:
    name: str
    domain: str
    foreign: bool
    language: str  # the usual language of its people


def _company_name(
    rng: random.Random, region: str, city: str, industry: tuple[str, str, float, tuple[str, ...], tuple[str, ...]],
    tier: str,
) -> _CompanyName:
    key, _label, _w, zh_words, en_words = industry
    if region == "Overseas":
        trade = rng.choice(content.EN_TRADE_NAMES)
        word = rng.choice(en_words)
        name = f"{trade} {word} {content.OVERSEAS_SUFFIX[city]}"
        domain = f"{trade.lower().replace(' ', '')}-{word.split()[0].lower()}.{_OVERSEAS_TLD[city]}"
        return _CompanyName(name, domain, False, "en")
    if city in content.CITY_EN and rng.random() < 0.07:
        trade = rng.choice(content.EN_TRADE_NAMES)
        word = rng.choice(en_words)
        name = f"{trade} {word} ({content.CITY_EN[city]}) Co., Ltd."
        domain = f"{trade.lower().replace(' ', '')}-{word.split()[0].lower()}.com.cn"
        return _CompanyName(name, domain, True, "zh-hans")
    trade, pinyin = rng.choice(content.TRADE_NAMES)
    word = rng.choice(zh_words)
    if region == "港澳台":
        if city in content.TW_CITIES:
            name = to_hant(f"{trade}{word}股份有限公司")
            tld = "com.tw"
        else:
            name = to_hant(f"{city}{trade}{word}有限公司")
            tld = "com.hk" if city == "香港" else "com.mo"
        return _CompanyName(name, f"{pinyin}-{_DOMAIN_WORD[key]}.{tld}", False, "zh-hant")
    suffix = "有限公司"
    if tier == "enterprise":
        suffix = rng.choice(("股份有限公司", "集团有限公司", "有限公司"))
    elif rng.random() < 0.15:
        suffix = "股份有限公司"
    tld = rng.choice(("com.cn", "com", "cn"))
    return _CompanyName(f"{city}{trade}{word}{suffix}", f"{pinyin}-{_DOMAIN_WORD[key]}.{tld}", False, "zh-hans")


def _anniversary_after(since: date, today: date) -> date:
    year = today.year
    while True:
        try:
            candidate = since.replace(year=year)
        except ValueError:  # 29 February
            candidate = date(year, 2, 28)
        if candidate > today:
            return candidate
        year += 1


def _csm_users(org: Organization) -> dict[str, User]:
    """{display name: user} of the demo staff who own accounts as their CSM (members of ``org``)."""
    emails = [f"{local}@{content.EMAIL_DOMAIN}" for local in content.CSM_USERS]
    return {u.display_name: u for u in User.objects.filter(email__in=emails, memberships__org=org)}


def create_accounts(
    org: Organization, rng: random.Random, scale: Scale, timeline: Timeline
) -> list[AccountInfo]:
    tiers: list[str] = []
    for tier, share in TIER_SHARE[:-1]:
        tiers += [tier] * round(scale.accounts * share)
    tiers += [TIER_SHARE[-1][0]] * (scale.accounts - len(tiers))
    rng.shuffle(tiers)
    regions = tuple((name, weight) for name, weight, _cities in content.REGIONS)
    cities = {name: cities for name, _w, cities in content.REGIONS}
    industries = {ind[0]: ind for ind in content.INDUSTRIES}
    industry_weights = tuple((ind[0], ind[2]) for ind in content.INDUSTRIES)
    used_names: set[str] = set()
    used_domains: set[str] = set()
    owners = _csm_users(org)
    rows: list[Account] = []
    infos: list[AccountInfo] = []
    today = timeline.today
    for i, tier in enumerate(tiers, start=1):
        region = weighted(rng, regions)
        city = rng.choice(cities[region])
        industry = industries[weighted(rng, industry_weights)]
        for _attempt in range(50):
            company = _company_name(rng, region, city, industry, tier)
            if company.name not in used_names and company.domain not in used_domains:
                break
        else:  # pragma: no cover - 80 trade names × 40 words leave room for 300 accounts
            company.domain = f"{i}-{company.domain}"
        used_names.add(company.name)
        used_domains.add(company.domain)
        median, sigma, low, high, step = _ARR[tier]
        arr = min(high, max(low, rng.lognormvariate(math.log(median), sigma)))
        since = today - timedelta(days=rng.randint(14, 5 * 365))
        tier_index = ("enterprise", "mid_market", "smb").index(tier)
        modules = [key for key, _label, shares in content.MODULES if rng.random() < shares[tier_index]]
        health = _TIER_HEALTH[tier] + rng.gauss(0, 0.45) - (0.9 if rng.random() < 0.07 else 0.0)
        attributes: dict[str, Any] = {
            "modules": modules,
            "plan": content.PLANS[tier],
            "seats": rng.randint(*_SEATS[tier]),
            "city": to_hant(city) if region == "港澳台" else city,
            "domain": company.domain,
            "industry_key": industry[0],
            "csm": rng.choice(content.CSM_NAMES) if tier != "smb" else "",
            "sales_owner": rng.choice(content.SALES_OWNERS),
        }
        if company.foreign:
            attributes["foreign_invested"] = True
        rows.append(
            Account(
                org=org,
                external_id=f"ACC-{i:05d}",
                name=company.name,
                industry=industry[1],
                tier=tier,
                region=region,
                arr=Decimal(int(round(arr / step) * step)).quantize(Decimal("0.01")),
                currency="CNY",
                customer_since=since,
                renewal_date=_anniversary_after(since, today),
                owner=owners.get(attributes["csm"]),
                attributes=attributes,
                created_at=aware(since, time(10, rng.randint(0, 59))),
            )
        )
        infos.append(
            AccountInfo(
                pk=0, tier=tier, region=region, city=city, domain=company.domain, language=company.language,
                reporting="reporting" in modules, foreign=company.foreign, health=health, since=since,
            )
        )
    Account.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for row, info in zip(rows, infos, strict=True):
        info.pk = row.pk
    return infos



# --- contacts ----------------------------------------------------------------------------------------------

_CONTACT_SPREAD: dict[str, tuple[float, float]] = {
    "enterprise": (0.55, 1.0), "mid_market": (0.25, 0.75), "smb": (0.0, 0.45),
}
_EMAIL_PATTERNS: tuple[str, ...] = ("{s}.{g}", "{g}.{s}", "{s}{g}", "{g}{s}", "{s}_{g}")
_SURNAME_WEIGHTS = tuple(accumulate(w for _h, _p, w in content.SURNAMES))


def _ascii_local(text: str) -> str:
    table = str.maketrans({"ü": "ue", "Ü": "Ue", "é": "e", "'": "", " ": ""})
    return text.translate(table).lower()


def _phone(rng: random.Random, account: AccountInfo) -> str:
    if account.region == "港澳台":
        if account.city in content.TW_CITIES:
            return f"+886 9{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
        prefix, first = ("+852", rng.choice("569")) if account.city == "香港" else ("+853", "6")
        return f"{prefix} {first}{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if account.region == "Overseas":
        return ""
    return f"{rng.choice(content.MOBILE_PREFIXES)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _person(rng: random.Random, language: str, pattern: str, account: AccountInfo) -> tuple[str, str]:
    """(display name, e-mail local part) of a person at ``account`` writing ``language``."""
    if language == "zh-hant":
        people = content.TW_PEOPLE if account.city in content.TW_CITIES else content.HK_PEOPLE
        surname, given, local = rng.choice(people)
        return surname + given, local
    if language == "en":
        mix = content.EN_NAME_MIX.get(account.city, content.EN_NAME_MIX[""])
        firsts, lasts = content.EN_NAMES[weighted(rng, mix)]
        first, last = rng.choice(firsts), rng.choice(lasts)
        return f"{first} {last}", f"{_ascii_local(first)}.{_ascii_local(last)}"
    surname_h, surname_p, _w = content.SURNAMES[
        bisect_right(_SURNAME_WEIGHTS, rng.random() * _SURNAME_WEIGHTS[-1])
    ]
    given_h, given_p = rng.choice(content.GIVEN_NAMES)
    return surname_h + given_h, pattern.format(s=surname_p, g=given_p)


def _department(title: str) -> tuple[str, str]:
    for keywords, zh, en in content.DEPARTMENT_RULES:
        if any(k in title for k in keywords):
            return zh, en
    return content.DEFAULT_DEPARTMENT


def _contact_language(rng: random.Random, account: AccountInfo) -> str:
    if account.language == "zh-hant":
        return "en" if rng.random() < 0.1 else "zh-hant"
    if account.language == "en":
        return "en"
    if account.foreign:
        return "en" if rng.random() < 0.3 else "zh-hans"
    return "en" if rng.random() < 0.01 else "zh-hans"


def create_contacts(
    org: Organization, rng: random.Random, scale: Scale, accounts: list[AccountInfo], timeline: Timeline
) -> list[ContactInfo]:
    lo, hi = scale.contacts
    # The finer stakeholder roles draw from their own generator (seeded from ``rng``'s state, which this leaves
    # untouched), so the contacts and every answer simulated from them stay what they were.
    roles_rng = random.Random(repr(rng.getstate()[1][1:9]))
    infos: list[ContactInfo] = []
    pending: list[tuple[Contact, ContactInfo]] = []
    number = 0
    for account in accounts:
        spread = _CONTACT_SPREAD[account.tier]
        count = lo + round((hi - lo) * rng.uniform(*spread))
        pattern = rng.choice(_EMAIL_PATTERNS)
        taken: set[str] = set()
        for position in range(count):
            if position == 0:
                role = "decision_maker"
            elif position == 1:
                role = "influencer"
            else:
                role = weighted(rng, (("user", 0.7), ("influencer", 0.2), ("decision_maker", 0.1)))
            language = _contact_language(rng, account)
            name, local = _person(rng, language, pattern, account)
            email_local, n = local, 2
            while email_local in taken:
                email_local, n = f"{local}{n}", n + 1
            taken.add(email_local)
            title = rng.choice(content.TITLES_EN[role] if language == "en" else content.TITLES[role])
            stakeholder = _stakeholder_role(roles_rng, role, title, position)
            department_zh, department_en = _department(title)
            department = {"en": department_en, "zh-hant": to_hant(department_zh)}.get(language, department_zh)
            title = to_hant(title) if language == "zh-hant" else title
            lag = 0 if position < 2 else int(rng.expovariate(1 / 150))
            since = min(account.since + timedelta(days=lag), timeline.last_day)
            number += 1
            row = Contact(
                org=org,
                account_id=account.pk,
                external_id=f"CON-{number:06d}",
                name=name,
                email=f"{email_local}@{account.domain}",
                phone=_phone(rng, account),
                language=language,
                title=title,
                stakeholder_role=stakeholder,
                attributes={"department": department, "product_admin": position == 1},
                created_at=aware(since, time(9 + rng.randint(0, 8), rng.randint(0, 59))),
            )
            info = ContactInfo(
                pk=0, account=account, role=role, language=language, offset=rng.gauss(0, 0.35), since=since
            )
            pending.append((row, info))
            if len(pending) >= BATCH_SIZE:
                infos += _save_contacts(pending)
                pending = []
    infos += _save_contacts(pending)
    return infos


def _stakeholder_role(rng: random.Random, role: str, title: str, position: int) -> str:
    """The stored stakeholder role: ``role`` (what drives the simulated answers), or for some decision makers
    the economic buyer and for some influencers (most product admins) and a few users the champion."""
    if role == "decision_maker":
        chance = content.ECONOMIC_BUYER_CHANCE[0 if title in content.ECONOMIC_BUYER_TITLES else 1]
        return "economic_buyer" if rng.random() < chance else role
    if role == "influencer":
        chance = content.CHAMPION_CHANCE[0 if position == 1 else 1]
        return "champion" if rng.random() < chance else role
    return "champion" if rng.random() < content.CHAMPION_CHANCE[2] else role


def _save_contacts(pending: list[tuple[Contact, ContactInfo]]) -> list[ContactInfo]:
    Contact.objects.bulk_create([row for row, _info in pending], batch_size=BATCH_SIZE)
    for row, info in pending:
        info.pk = row.pk
    return [info for _row, info in pending]
