"""XSS corpus (issue 10, proof point 3): every payload of ``tests/data/xss_payloads.txt`` (≥ 200, mixed with
Chinese) is written into the free-text fields of ONE organisation — respondent comments, contact and account
names and attributes, case titles and comments, codeframe theme names, journey / stage / touchpoint / step
texts, persona and segment names, persona comments, survey, team, rule, channel, root-cause, funnel and
governance names, the organisation's own name and a member's display name — then rendered and checked:

* every page under ``/o/<org>/`` that answers a GET with HTML or SVG (the URL patterns are walked, as
  ``tests/test_tenancy.py`` does), plus the respondent's page, in Debian's Chromium, signed in, once in English
  on a desktop and once in Chinese (zh-Hans) on a phone (``CXLOOP_XSS_VARIANTS=all``: also zh-Hans on a desktop
  and English on a phone);
* the HTML parts of real e-mails received by the aiosmtpd server (an e-mail channel's case notification, the
  monthly governance report) and the team digest, put into Chromium with ``set_content``;
* the chat cards (Feishu, DingTalk, WeCom, Slack) built for each payload: no mention, link or markup survives;
* the CSV and XLSX exports: no cell starts with ``= + - @``, tab or carriage return.

A payload that would create an element carries a marker (attribute ``data-cxx`` or an id starting ``cxx``), so
``[data-cxx],[id^=cxx]`` must match nothing even where the CSP would have stopped the script; any ``dialog``,
console error, page error or ``securitypolicyviolation`` also fails (a CSP violation means markup got in).
That the test is not vacuous: the payloads must appear *as text* in the rendered pages (≥ 200 distinct)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.browserkit import EN_DESKTOP, VARIANTS, ZH_PHONE, Variant, opened, shot, sign_in
from tests.conftest import run_tasks
from tests.test_tenancy import _fill, _web_patterns

CORPUS = Path(__file__).resolve().parent / "data" / "xss_payloads.txt"
MARKERS = "[data-cxx],[id^=cxx],[id^=CXX]"
# Installed before any script of the page runs: records what must never happen.
WATCH = """
window.__cxx = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cxx.push('csp ' + e.violatedDirective + ' ' + (e.sample || e.blockedURI)), true);
window.alert = window.confirm = window.prompt = window.print = (m) => window.__cxx.push('dialog ' + m);
"""


def load_corpus() -> list[str]:
    out: list[str] = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("# "):
            continue
        out.append(line.replace("\\t", "\t").replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\x00"))
    return out


PAYLOADS = load_corpus()
PER_COMMENT = 3


def _definition(p: Any) -> dict[str, Any]:
    return {
        "title": {"en": next(p), "zh-hans": next(p)}, "default_language": "en", "languages": ["en", "zh-hans"],
        "pages": [{"key": "p1", "questions": [
            {"key": "nps", "type": "nps", "text": {"en": next(p), "zh-hans": next(p)}, "required": True},
            {"key": "why", "type": "open_text", "text": {"en": next(p), "zh-hans": next(p)}},
            {"key": "plan", "type": "single_choice", "text": {"en": next(p), "zh-hans": next(p)},
             "options": [{"key": f"o{i}", "text": {"en": next(p), "zh-hans": next(p)}} for i in range(3)]},
        ]}],
    }


def _names(p: Any, limit: int = 120) -> dict[str, str]:
    return {"en": next(p)[:limit].strip() or "x", "zh-hans": next(p)[:limit].strip() or "x"}


def seed(t: Any) -> dict[str, Any]:
    """One organisation full of payloads (through the services, so analysis, cases and events exist)."""
    from cxloop.cases import intake
    from cxloop.cases import services as cases
    from cxloop.cases.models import Case, RootCause
    from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
    from cxloop.customers.models import Account, Contact
    from cxloop.notify import services as notify
    from cxloop.orgs import services as orgs
    from cxloop.orgs.models import Membership
    from cxloop.surveys import services as surveys
    from cxloop.texts.services import save_codeframe

    p = itertools.cycle([x.replace("\x00", "") for x in PAYLOADS])  # names: a NUL is refused (see below)
    org = t.org
    org.name = PAYLOADS[0][:100]
    org.save(update_fields=["name"])
    t.member.display_name = PAYLOADS[1][:100]
    t.member.save(update_fields=["display_name"])
    team = orgs.save_team(org=org, name=PAYLOADS[2][:80], kind="support", lead=t.owner)
    t.team.name = PAYLOADS[3][:80]
    t.team.save(update_fields=["name"])
    Membership.objects.filter(org=org, user__in=[t.owner, t.member]).update(team=t.team)
    # The codeframe: every theme's label is a payload; keywords that the comments contain.
    words = ["img", "svg", "script", "alert", "href", "onerror", "差评", "客服", "退款", "物流", "cmd", "http"]
    themes = [{"key": f"x{i}", "label": {"zh-hans": next(p)[:60], "zh-hant": next(p)[:60], "en": next(p)[:60]},
               "keywords": {"en" if w.isascii() else "zh": [w]}} for i, w in enumerate(words)]
    save_codeframe(org=org, definition={**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], *themes]})
    run_tasks()
    survey = surveys.create_survey(org=org, name=next(p)[:200], definition=_definition(p), touchpoint="support")
    survey.owner_team = t.team
    survey.save(update_fields=["owner_team"])
    surveys.publish(survey=survey)
    accounts = [Account.objects.create(org=org, external_id=f"acc-{i}", name=next(p)[:200], tier="enterprise",
                                       industry=next(p)[:80], region=next(p)[:80], arr=1000 * (i + 1),
                                       attributes={"note": next(p), next(p)[:64]: next(p)}) for i in range(12)]
    cases.save_rule(org=org, name=next(p)[:120], definition={
        "when": {"field": "score_type.nps", "op": "<=", "value": 6},
        "then": {"open_case": {"team": t.team.name, "assign": {"user": t.member.email}, "priority": "high"}}})
    endpoint, _ = notify.create_endpoint(org=org, name=next(p)[:120], email="cx-list@example.com",
                                         events=["case.opened"])
    for i in range(0, len(PAYLOADS), PER_COMMENT):  # a few payloads per comment keeps the pages quick
        comment = "\n".join(PAYLOADS[i:i + PER_COMMENT])
        rec = surveys.record_response(survey=survey, submission=surveys.Submission(
            answers={"nps": (i * 7) % 11, "why": comment, "plan": f"o{i % 3}"}, language="en",
            touchpoint="support", channel="api", embedded={"source": next(p)[:200]},
            contact={"external_id": f"c-{i}", "name": next(p)[:200], "email": f"c{i}@example.com",
                     "attributes": {"plan": next(p), next(p)[:64]: next(p)}}))
        assert rec.response_id is not None
    Contact.objects.filter(org=org).update(title=PAYLOADS[4][:120])
    for i, contact in enumerate(Contact.objects.filter(org=org).order_by("pk")):
        contact.account = accounts[i % len(accounts)]
        contact.save(update_fields=["account"])
    intake.drain()
    case_list = list(Case.objects.filter(org=org).order_by("number"))
    assert len(case_list) >= 40
    for i, case in enumerate(case_list):  # case titles: payloads, not only the derived ones
        case.title = PAYLOADS[(i * 5) % len(PAYLOADS)][:200]
        case.save(update_fields=["title"])
    first = case_list[0]
    for chunk in range(0, len(PAYLOADS), 25):  # the first case's timeline carries every payload
        cases.comment(case=first, actor=t.member, body="\n".join(PAYLOADS[chunk:chunk + 25]))
    RootCause.objects.create(org=org, code="xss", label=next(p)[:120])
    objects = _more(t, team, p)
    objects.update(survey=survey, case=first, account=accounts[0], endpoint=endpoint,
                   contact=Contact.objects.filter(org=org).order_by("pk").first())
    return objects


def _more(t: Any, team: Any, p: Any) -> dict[str, Any]:
    """Journeys, segments, personas, funnels and governance, all named with payloads."""
    from cxloop.behaviour.models import Funnel
    from cxloop.govern import services as govern
    from cxloop.journeys import services as journeys
    from cxloop.segments import services as segments
    from cxloop.segments.models import Persona

    org = t.org
    touchpoints = [journeys.save_touchpoint(org=org, key=k, name=_names(p), description=next(p))
                   for k in ("support", "billing", "onboarding")]
    journey = journeys.save_journey(org=org, name=_names(p), description=next(p))
    steps = []
    for _ in range(3):
        stage = journeys.add_stage(journey=journey, name=_names(p), description=next(p))
        for tp in touchpoints[:2]:
            steps.append(journeys.add_step(stage=stage, touchpoint=tp, lanes={
                "actions": next(p), "frontstage": next(p), "backstage": next(p), "support": next(p),
                "opportunities": next(p)}))
    segment = segments.save_segment(org=org, name=_names(p), definition={"field": "account.tier", "op": "exists"})
    segments.save_segment(org=org, name=_names(p), definition={"field": "contact.title", "op": "exists"})
    persona = segments.save_persona(org=org, data={
        "name": _names(p), "role": _names(p), "description": {"en": next(p), "zh-hans": next(p)},
        "goals": {"en": [next(p), next(p)]}, "pains": {"en": [next(p), next(p)]},
        "jobs_to_be_done": {"en": [next(p)]}, "quotes": {"en": [next(p), next(p)]}, "segment": segment.pk,
        "initials": "XS"})
    for _ in range(6):
        segments.add_comment(persona=persona, body=next(p))
    assert Persona.objects.filter(org=org).count() == 1
    journeys.set_personas(journey=journey, persona_ids=[persona.pk])
    funnel = Funnel.objects.create(org=org, name=_names(p), steps=[{"event": "signed_up"}, {"event": "paid"}])
    govern.set_committee(org=org, chair=t.owner.pk, name=_names(p),
                         seats=[{"team": t.team.pk, "head": t.owner.pk}, {"team": team.pk, "head": t.owner.pk}])
    director = govern.generate_rotation(org=org, start=date(2026, 1, 1), months=2)[0]
    plan = govern.save_plan(org=org, data={"title": next(p)[:200], "problem": next(p), "story": next(p),
                                           "theme": "x1"})
    meeting = govern.save_meeting(org=org, held_on="2026-01-15", title=next(p)[:200], agenda=next(p),
                                  notes=next(p), decisions=[{"text": next(p)}, {"text": next(p)}])
    kpi = govern.save_kpi(org=org, team=t.team.pk, name=_names(p), measure={"kind": "renewal"}, target=80)
    return {"journey": journey, "stage": journey.stages.first(), "step": steps[0], "touchpoint": touchpoints[0],
            "segment": segment, "persona": persona, "funnel": funnel, "director": director, "plan": plan,
            "meeting": meeting, "kpi": kpi, "team": team}


def _ids(t: Any, o: dict[str, Any]) -> dict[str, Any]:
    from cxloop.cases.models import AlertRule, RootCause
    from cxloop.exports.models import ExportJob
    from cxloop.notify.models import Delivery
    from cxloop.orgs.models import ApiKey, Membership
    from cxloop.surveys.models import Response

    export = ExportJob.objects.create(org=t.org, survey=o["survey"], requested_by=t.owner, format="csv")
    delivery = Delivery.objects.filter(org=t.org).first()
    return {
        "rotation_id": o["director"].pk, "meeting_id": o["meeting"].pk, "kpi_id": o["kpi"].pk,
        "plan_id": o["plan"].pk, "funnel_id": o["funnel"].pk, "segment_id": o["segment"].pk,
        "persona_id": o["persona"].pk, "journey_id": o["journey"].pk, "stage_id": o["stage"].pk,
        "step_id": o["step"].pk, "touchpoint_id": o["touchpoint"].pk, "number": o["case"].number,
        "rule_id": AlertRule.objects.filter(org=t.org).first().pk,  # type: ignore[union-attr]
        "endpoint_id": o["endpoint"].pk, "webhook_id": o["endpoint"].pk,
        "delivery_id": delivery.pk if delivery else 0,
        "cause_id": RootCause.objects.filter(org=t.org, code="xss").get().pk, "team_id": t.team.pk,
        "membership_id": Membership.objects.get(org=t.org, user=t.member).pk, "invitation_id": 0,
        "key_id": ApiKey.objects.filter(org=t.org).first().pk,  # type: ignore[union-attr]
        "account_id": o["account"].pk, "contact_id": o["contact"].pk, "survey_id": o["survey"].pk,
        "export_id": export.pk,
        "response_id": Response.objects.filter(org=t.org, pk=o["case"].response_id).get().pk,
        "kind": "svg", "fmt": "yaml", "qkey": "why", "key": "x1", "org": t.org.slug,
    }


def _pages(t: Any, o: dict[str, Any], client: Client) -> tuple[list[str], list[str]]:
    """Every page under /o/<org>/ answering a GET with HTML or SVG (its ids filled with the seeded objects), and
    the respondent's page; the SVG downloads are checked here as XML."""
    values = _ids(t, o)
    urls, downloads = [], []
    for route, names in _web_patterns():
        if not set(names) <= set(values):
            continue  # an id kind added after this test: tests/test_tenancy.py maps it
        url = _fill(route, values)
        answer = client.get(url)
        kind = answer.get("Content-Type", "")
        if answer.status_code != 200 or not ("text/html" in kind or "image/svg" in kind):
            continue
        if "attachment" in answer.get("Content-Disposition", ""):  # the journey map: parsed, not opened
            _check_svg(b"".join(answer.streaming_content) if answer.streaming else answer.content, url)
            downloads.append(url)
        urls.append(url)
    return [*urls, f"/s/{o['survey'].slug}/"], downloads


def _check_svg(data: bytes, what: str) -> None:
    """A downloaded SVG is well-formed XML (so escaped) without script, handlers or payload elements."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(data)  # noqa: S314 - our own output
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        assert tag not in ("script", "foreignobject", "iframe", "a"), (what, tag)
        bad = [k for k in element.attrib if k.lower().startswith("on") or "cxx" in k.lower()]
        assert bad == [], (what, element.attrib)
    assert b"data-cxx" not in data or b"&lt;" in data


def _check(page: Any, what: str, problems: list[str]) -> str:
    """The markers must be absent and nothing recorded; returns the page's text."""
    found = page.eval_on_selector_all(MARKERS, "els => els.map(e => e.outerHTML.slice(0, 120))")
    assert found == [], f"{what}: payload markup in the DOM: {found[:5]}"
    seen = page.evaluate("window.__cxx || []")
    assert seen == [], f"{what}: {seen[:5]}"
    assert problems == [], f"{what}: {problems[:5]}"
    return page.evaluate("document.documentElement.innerText || document.documentElement.textContent || ''")


def _seen_payloads(texts: list[str]) -> set[str]:
    """The payloads that appear as literal text (whitespace folded) in ``texts``."""
    fold = re.compile(r"\s+")
    blob = fold.sub(" ", "\n".join(texts))
    return {payload for payload in PAYLOADS if fold.sub(" ", payload.replace("\x00", "")).strip()[:40] in blob}


def _console(message: Any) -> str | None:
    # (a 404 is no injection: a payload's <img src=x> that got in is caught by its marker)
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        return f"console {message.type}: {message.text}"
    return None


def _variants() -> tuple[Variant, ...]:
    """English on a desktop and Chinese on a phone in ``make test``; all four with ``CXLOOP_XSS_VARIANTS=all``."""
    return VARIANTS if os.environ.get("CXLOOP_XSS_VARIANTS") == "all" else (EN_DESKTOP, ZH_PHONE)


def test_corpus_has_at_least_200_distinct_payloads() -> None:
    assert len(PAYLOADS) == len(set(PAYLOADS)) >= 200
    assert sum(1 for p in PAYLOADS if re.search(r"[\u4e00-\u9fff]", p)) >= 50  # mixed with Chinese
    # every payload that opens a tag carries the marker, so the DOM check can see it
    for p in PAYLOADS:
        if re.search(r"<(img|svg|script|iframe|a|div|b|i|p|form|input)\b", p, re.I):
            assert re.search(r"data-cxx|id=cxx", p, re.I), p


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_payloads_render_as_text_everywhere(browser: Any, live_server: Any, tenant_a: Any, smtp_server: Any,
                                            screenshot_dir: Path, settings: Any) -> None:
    started = time.monotonic()
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    objects = seed(tenant_a)
    run_tasks()  # the e-mail channel's notifications (case.opened), analysis, anything queued
    seeded = time.monotonic() - started
    client = Client()
    client.force_login(tenant_a.owner)
    urls, downloads = _pages(tenant_a, objects, client)
    assert downloads, "the journey map's SVG was not found"

    texts: list[str] = []
    checked: list[str] = list(downloads)
    for variant in _variants():
        with opened(browser, variant, init_script=WATCH, console=_console) as (page, problems):
            sign_in(page, live_server.url, tenant_a.owner.email)
            assert page.locator("html").get_attribute("lang") == variant.lang
            for url in urls:
                if url.endswith(".svg") and url in downloads:
                    continue  # parsed as XML in _pages
                page.goto(f"{live_server.url}{url}", wait_until="load")
                texts.append(_check(page, f"{url} ({variant.name})", problems))
                checked.append(url)
                if url.endswith(f"/cases/{objects['case'].number}/"):
                    shot(page, screenshot_dir, f"xss-case-{variant.name}", full_page=False)
                if url.endswith(f"/surveys/{objects['survey'].pk}/responses/"):
                    shot(page, screenshot_dir, f"xss-responses-{variant.name}", full_page=False)
    browsed = time.monotonic() - started - seeded
    assert len(set(checked)) >= 70, checked

    # E-mails: the e-mail channel's case notifications and the governance report, received over SMTP.
    from cxloop.analytics import digest
    from cxloop.govern import report

    report.send(org=tenant_a.org, month=date(2026, 1, 1))
    run_tasks()
    mails = smtp_server.wait_for(2)
    htmls = [part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
             for m in mails for part in m.walk() if part.get_content_type() == "text/html"]
    subjects = [str(m["Subject"]) for m in mails]
    assert any("cx-list@example.com" in str(m["To"]) for m in mails)
    assert any(m["To"] == tenant_a.owner.email for m in mails)  # the report
    htmls.append(digest.preview(tenant_a.team, tenant_a.owner, language="en").html)
    assert len(htmls) >= 3
    # A fresh page without the app's CSP: an e-mail's markup is judged with scripts allowed to run. The
    # e-mails go in by batches of 20 (one document each: the parser merges their <html> and <body>).
    with opened(browser, EN_DESKTOP, init_script=WATCH, console=_console) as (page, problems):
        for i in range(0, len(htmls), 20):
            page.set_content("\n".join(htmls[i:i + 20]), wait_until="load")
            texts.append(_check(page, f"e-mails {i}-{i + 19} ({subjects[i:i + 20]})", problems))
        page.set_content(htmls[0])
        shot(page, screenshot_dir, "xss-email", full_page=False)

    seen = _seen_payloads(texts)
    missing = [p for p in PAYLOADS if p not in seen]
    assert len(seen) >= 200, (len(seen), missing[:10])
    print(f"\nxss: {len(PAYLOADS)} payloads, {len(set(checked))} pages × {len(_variants())} variants, "
          f"{len(htmls)} e-mails, {len(seen)} seen as text; "
          f"seed {seeded:.1f}s, browse {browsed:.1f}s, total {time.monotonic() - started:.1f}s")


# --- chat cards ------------------------------------------------------------------------------------


LINK = "https://cx.example.com/o/acme/cases/7/"


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_chat_cards_carry_no_mention_link_or_markup_from_payloads() -> None:
    from cxloop.core import chat_cards

    checked = 0
    for payload in PAYLOADS:
        card = chat_cards.Card(title=payload, score_label=payload[:20], score="3", comment_excerpt=payload,
                               customer=payload, link=LINK, severity="bad", facts=((payload[:30], payload),))
        slack = chat_cards.slack(card)
        for block in slack["blocks"]:
            texts = [block["text"]] if "text" in block else []
            texts += block.get("fields", []) + block.get("elements", [])
            for t in texts:
                if t.get("type") == "mrkdwn":  # mrkdwn: no <…> of the payload's (links, <!channel>, <@U…>)
                    assert "<" not in t["text"] and ">" not in t["text"].replace("> ", "", 1), t["text"]
        assert "<" not in slack["text"] and ">" not in slack["text"]
        urls = [e["url"] for b in slack["blocks"] for e in b.get("elements", []) if "url" in e]
        assert urls == [LINK]
        for kind, body in (("dingtalk", chat_cards.dingtalk(card)), ("wecom", chat_cards.wecom(card))):
            text = body["markdown"]["content"] if kind == "wecom" else body["actionCard"]["text"]
            text = re.sub(r'</?font(?: color="\w+")?>', "", text)  # the card's own colour tags
            text = text.replace(f"]({LINK})", "").replace("[", "", 1) if kind == "wecom" else text
            for bad in ("<", ">", "[", "]", "@", "`", "]("):
                assert bad not in text.replace("> ", "").replace("\n>", "\n"), (kind, bad, text)
        feishu = chat_cards.feishu(card)
        for element in feishu["card"]["elements"]:
            for field in element.get("fields", []):
                md = field["text"]["content"]
                assert not re.search(r"[<>\[\]@`]", md), md
            for action in element.get("actions", []):
                assert action["url"] == LINK
        # payload text goes only into plain_text (Feishu parses no tags there) or escaped lark_md
        header = feishu["card"]["header"]["title"]
        assert header["tag"] == "plain_text"
        for element in feishu["card"]["elements"]:
            if "text" in element:
                assert element["text"]["tag"] == "plain_text"
        checked += 1
    assert checked == len(PAYLOADS) >= 200
    # A link that is not http(s) is dropped, never rendered as a link.
    for link in ("javascript:alert(1)", "data:text/html,x", "https://x.example/a b)|<!channel>"):
        card = chat_cards.Card(title="t", link=link)
        safe = chat_cards.safe_link(link)
        assert safe is None or not re.search(r"[\s<>|()\[\]]", safe)
        assert "javascript:" not in json.dumps(chat_cards.slack(card))


# --- exports ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exports_neutralise_every_formula_cell(tenant_a: Any) -> None:
    import openpyxl

    from cxloop.customers.models import Account
    from cxloop.exports import services as exports
    from cxloop.surveys import services as surveys

    survey = surveys.create_survey(org=tenant_a.org, name="=HYPERLINK(\"http://evil.invalid\",\"x\")",
                                   definition=_definition(itertools.cycle(["q"])), touchpoint="support")
    surveys.publish(survey=survey)
    account = Account.objects.create(org=tenant_a.org, external_id="=acc", name="@SUM(1+1)")
    items = []
    for i, payload in enumerate(PAYLOADS):
        items.append(surveys.BatchItem(submission=surveys.Submission(
            answers={"nps": i % 11, "why": payload}, language="en", embedded={"src": payload[:200]},
            contact={"external_id": f"{payload[:20]}{i}".replace("\x00", ""), "name": payload[:200].replace("\x00", ""),
                     "email": f"x{i}@example.com"})))
    results = surveys.record_batch(survey=survey, items=items)
    assert all(not isinstance(r, Exception) for r in results), [r for r in results if isinstance(r, Exception)][:3]
    from cxloop.customers.models import Contact

    Contact.objects.filter(org=tenant_a.org).update(account=account)
    triggers = tuple("=+-@\t\r")
    # CSV
    out = io.BytesIO()
    rows = exports.write(exports.plan(survey=survey, fmt="csv", filters=exports.check_options(fmt="csv"),
                                      trailer=False), out)
    assert rows == len(PAYLOADS)
    table = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    cells = [c for row in table[1:] for c in row]
    assert len(table) - 1 == len(PAYLOADS) and len(cells) >= 5 * len(PAYLOADS)
    assert [c for c in cells if c.startswith(triggers)] == []
    assert sum(1 for c in cells if c.startswith("'") and c[1:2] in "=+-@\t\r") >= 10  # really neutralised
    # XLSX: no formula cell at all, and no text cell that starts like one
    out = io.BytesIO()
    exports.write(exports.plan(survey=survey, fmt="xlsx", filters=exports.check_options(fmt="xlsx")), out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    xcells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert len(xcells) >= 5 * len(PAYLOADS)
    assert [c.coordinate for c in xcells if c.data_type == "f"] == []
    assert [c.value for c in xcells if isinstance(c.value, str) and c.value.startswith(triggers)] == []


@pytest.mark.django_db
def test_a_nul_character_is_dropped_from_answers_and_embedded_fields_and_refused_in_a_contact(tenant_a: Any) -> None:
    """PostgreSQL stores no NUL: a respondent's NUL must not turn into a 500 there (it did in contacts)."""
    from cxloop.surveys import services as surveys
    from cxloop.surveys.models import Answer, Response

    survey = surveys.create_survey(org=tenant_a.org, name="NUL", definition=_definition(itertools.cycle(["q"])),
                                   touchpoint="support")
    surveys.publish(survey=survey)
    rec = surveys.record_response(survey=survey, submission=surveys.Submission(
        answers={"nps": 3, "why": "a\x00b<img data-cxx src=x>"}, embedded={"k\x00": "v\x00w"}, language="en"))
    response = Response.objects.get(pk=rec.response_id)
    assert Answer.objects.get(response=response, question_key="why").text == "ab<img data-cxx src=x>"
    assert response.embedded == {"k": "vw"}
    for contact in ({"external_id": "c\x00"}, {"external_id": "c", "name": "n\x00"},
                    {"external_id": "c", "attributes": {"a": "\x00"}}):
        with pytest.raises(surveys.SurveyError, match="contact: must not contain NUL") as caught:
            surveys.record_response(survey=survey, submission=surveys.Submission(
                answers={"nps": 3}, contact=contact, language="en"))
        assert caught.value.field == "contact"


@pytest.mark.django_db
def test_an_e_mail_subject_with_a_line_break_is_sent_on_one_line(smtp_server: Any) -> None:
    """A case's title comes from a comment; a line break in a subject used to raise BadHeaderError (and stop
    the intake when an e-mail channel was configured)."""
    from cxloop.orgs.tasks import send_email

    assert send_email.call(subject="[cxloop] #7 标题注入\n> Bcc: victim@example.com\r\nX: y", body="b",
                           to=["a@example.com"]) == 1
    (message,) = smtp_server.wait_for(1)
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))) == "[cxloop] #7 标题注入 > Bcc: victim@example.com X: y"
    assert message["Bcc"] is None and message["X"] is None
