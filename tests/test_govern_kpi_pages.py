"""Department KPIs on pages (issue 9): a KPI of each measure kind defined through the form (the stored measure dict
exactly), edited and deleted (audit-logged); bad input is a form error on the field at fault with nothing stored;
only administrators post, other organisations get 404; the KPI page shows its months as the scoreboard computes
them (hand-checked on one month); the scoreboard links each KPI and has a phone layout."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.test_govern_measures import DEFINITION, _record
from tests.test_govern_pages import governed
from tests.test_ux import at, hand_adjusted_wald

pytestmark = pytest.mark.django_db

BASE = {"name_zh_hans": "", "name_zh_hant": "", "name_en": "", "kind": "survey", "survey": "", "question": "",
        "metric": "", "touchpoint": "", "channel": "", "tier": "", "task": "", "theme": "", "theme_touchpoint": "",
        "loop_measure": "", "loop_team": "", "target": "", "direction": "", "since": "", "until": ""}


def _client(user: Any, lang: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def _url(t: Any, tail: str = "") -> str:
    return f"/o/{t.org.slug}/governance/kpis/{tail}"


def _kpis(t: Any) -> list[Any]:
    from cxloop.govern.models import Kpi

    return list(Kpi.objects.filter(org=t.org).order_by("pk"))


@pytest.fixture
def setup(tenant_a: Any) -> dict[str, Any]:
    from cxloop.journeys import services as journeys
    from cxloop.surveys import services as surveys

    data = governed(tenant_a)
    other = {**DEFINITION, "pages": [{"key": "p1", "questions": [{"key": "recommend", "type": "nps",
                                                                  "text": "Recommend us?"}]}]}
    surveys.publish(survey=surveys.create_survey(org=tenant_a.org, name="Onboarding", definition=other))
    survey = _record(tenant_a.org, [({"nps": 9, "csat": 4, "effort": 6}, "support", at(date(2026, 6, 3))),
                                    ({"nps": 3, "csat": 2, "effort": 2}, "support", at(date(2026, 7, 3)))])
    journeys.save_touchpoint(org=tenant_a.org, key="report_export", name={"en": "Report export"})
    journeys.save_touchpoint(org=tenant_a.org, key="support", name={"en": "support"})
    return {**data, "survey": survey}


def test_a_kpi_of_each_kind_through_the_form(tenant_a: Any, setup: dict[str, Any]) -> None:
    from cxloop.orgs.models import AuditEvent

    owner = _client(tenant_a.owner)
    page = owner.get(_url(tenant_a, "new/")).content.decode()
    # every kind's fields are on the page, each in its group; the survey's questions say their survey
    for name in ("survey", "question", "metric", "touchpoint", "task", "theme", "theme_touchpoint", "loop_measure",
                 "loop_team", "target", "direction", "since", "until"):
        assert f'name="{name}"' in page, name
    for kind in ("survey", "ux_task_failure", "renewal", "theme_share", "loop"):
        assert f'class="gvb-kind gvb-kind-{kind}"' in page
    survey, teams = setup["survey"], setup["teams"]
    assert f'data-survey="{survey.pk}" value="nps"' in page or f'value="nps" data-survey="{survey.pk}"' in page
    assert '<option value="export_report">export_report</option>' in page  # the known tasks
    assert '<option value="product/export">' in page  # the codeframe's themes
    assert '<option value="report_export">Report export (report_export)</option>' in page  # the catalogue
    assert '<option value="support">support</option>' in page  # a name that is its key is said once
    # other kinds' fields are posted too (the browser sends the hidden ones): only the chosen kind's are used
    noise = {"survey": survey.pk, "question": "csat", "task": "export_report", "theme": "product/export",
             "loop_measure": "sla", "theme_touchpoint": "support"}
    cases = [
        ({"kind": "survey", "survey": survey.pk, "question": "nps", "touchpoint": "support", "target": "30"},
         {"kind": "survey", "survey": survey.pk, "question": "nps", "metric": "nps", "touchpoint": "support",
          "channel": "", "tier": ""}, "higher"),
        ({"kind": "survey", "survey": survey.pk, "question": "effort", "metric": "agree", "channel": "email",
          "tier": "enterprise", "target": "70"},
         {"kind": "survey", "survey": survey.pk, "question": "effort", "metric": "agree", "touchpoint": "",
          "channel": "email", "tier": "enterprise"}, "higher"),
        ({"kind": "ux_task_failure", "task": "export_report", "target": "10"},
         {"kind": "ux_task_failure", "task": "export_report"}, "lower"),
        ({"kind": "renewal", "target": "85"}, {"kind": "renewal"}, "higher"),
        ({"kind": "theme_share", "theme": "product/export", "theme_touchpoint": "report_export",
          "touchpoint": "support", "target": "5"},
         {"kind": "theme_share", "theme": "product/export", "touchpoint": "report_export"}, "lower"),
        ({"kind": "loop", "loop_measure": "closure", "loop_team": teams[1].pk, "target": "90", "direction": "lower"},
         {"kind": "loop", "measure": "closure", "team": teams[1].pk}, "lower"),
        ({"kind": "loop", "loop_measure": "rescue", "target": "40"}, {"kind": "loop", "measure": "rescue",
                                                                      "team": None}, "higher"),
    ]
    before = len(_kpis(tenant_a))
    for i, (fields, measure, direction) in enumerate(cases):
        post = {**BASE, **noise, "team": teams[2].pk, "name_en": f"KPI {i}", "name_zh_hans": f"指标 {i}",
                "since": "2026-01", "until": "2026-12" if i == 0 else "", **fields}
        if fields["kind"] != "survey":
            post["metric"] = "mean"  # a value the survey kind alone would read
        r = owner.post(_url(tenant_a, "new/"), post)
        assert r.status_code == 302, (i, r.context["form"].errors if r.context else r.status_code)
        k = _kpis(tenant_a)[-1]
        assert r["Location"] == _url(tenant_a, f"{k.pk}/")
        assert k.measure == measure, i
        assert (k.team_id, k.name, k.target, k.direction, k.since) == (
            teams[2].pk, {"en": f"KPI {i}", "zh-hans": f"指标 {i}"}, float(fields["target"]), direction,
            date(2026, 1, 1))
        assert k.until == (date(2026, 12, 1) if i == 0 else None)
        assert k.created_by == tenant_a.owner
        assert AuditEvent.objects.filter(org=tenant_a.org, action="kpi.saved", actor=tenant_a.owner,
                                         target=str(k.pk)).count() == 1
    assert len(_kpis(tenant_a)) == before + len(cases)
    # the page of a survey KPI says what it measures, the target with its unit and the months
    one = owner.get(_url(tenant_a, f"{_kpis(tenant_a)[before].pk}/")).content.decode()
    assert "KPI 0" in one and "NPS · support" in one and "≥ 30 points" in one and "2026-01 – 2026-12" in one
    assert "Higher is better" in one
    rates = owner.get(_url(tenant_a, f"{_kpis(tenant_a)[before + 2].pk}/")).content.decode()
    assert "Failure rate of export_report" in rates and "≤ 10%" in rates and "Lower is better" in rates


def test_edit_and_delete(tenant_a: Any, setup: dict[str, Any]) -> None:
    from cxloop.govern.models import Kpi
    from cxloop.orgs.models import AuditEvent

    owner = _client(tenant_a.owner)
    k = _kpis(tenant_a)[0]  # governed's "Export failure rate", Product, target 10, since 2026-01
    page = owner.get(_url(tenant_a, f"{k.pk}/")).content.decode()
    assert 'value="Export failure rate"' in page and 'value="导出失败率"' in page and 'value="2026-01"' in page
    assert '<option value="ux_task_failure" selected>' in page and '<option value="export_report" selected>' in page
    assert f'href="{_url(tenant_a, f"{k.pk}/delete/")}"' in page
    teams = setup["teams"]
    r = owner.post(_url(tenant_a, f"{k.pk}/"), {
        **BASE, "team": teams[3].pk, "name_en": "Export failures", "name_zh_hant": "匯出失敗率",
        "kind": "ux_task_failure", "task": "export_report", "target": "7.5", "direction": "lower",
        "since": "2026-02", "until": "2026-09"})
    assert r.status_code == 302 and r["Location"] == _url(tenant_a, f"{k.pk}/")
    k.refresh_from_db()
    assert (k.team_id, k.name, k.measure, k.target, k.direction, k.since, k.until) == (
        teams[3].pk, {"en": "Export failures", "zh-hant": "匯出失敗率"}, {"kind": "ux_task_failure",
                                                                          "task": "export_report"},
        7.5, "lower", date(2026, 2, 1), date(2026, 9, 1))
    assert AuditEvent.objects.filter(org=tenant_a.org, action="kpi.saved", actor=tenant_a.owner,
                                     target=str(k.pk)).exists()
    # another kind on the same KPI
    r = owner.post(_url(tenant_a, f"{k.pk}/"), {**BASE, "team": teams[3].pk, "name_en": "Export failures",
                                                "kind": "loop", "loop_measure": "sla", "target": "95"})
    k.refresh_from_db()
    assert r.status_code == 302 and k.measure == {"kind": "loop", "measure": "sla", "team": None}
    assert (k.direction, k.since) == ("higher", date(2026, 2, 1))  # the measure's default; since kept
    # delete: a page to confirm, then the POST
    confirm = owner.get(_url(tenant_a, f"{k.pk}/delete/"))
    assert confirm.status_code == 200 and "Delete the KPI “Export failures”?" in confirm.content.decode()
    assert Kpi.objects.filter(pk=k.pk).exists()
    r = owner.post(_url(tenant_a, f"{k.pk}/delete/"))
    assert r.status_code == 302 and r["Location"] == _url(tenant_a)
    assert not Kpi.objects.filter(pk=k.pk).exists()
    assert AuditEvent.objects.filter(org=tenant_a.org, action="kpi.deleted", actor=tenant_a.owner,
                                     target=str(k.pk)).count() == 1
    assert owner.get(_url(tenant_a, f"{k.pk}/")).status_code == 404
    assert owner.post(_url(tenant_a, f"{k.pk}/delete/")).status_code == 404


def _errors(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 200
    return {k: [str(e) for e in v] for k, v in r.context["form"].errors.items()}


def _field_html(html: str, name: str) -> str:
    """The markup of one field's block (label, input, errors)."""
    found = re.search(rf'<div class="field has-error">\s*<label for="id_{name}">.*?</div>', html, re.S)
    assert found, name
    return found.group(0)


def test_bad_input_is_a_form_error_on_its_field_and_nothing_is_stored(tenant_a: Any, setup: dict[str, Any]) -> None:
    from cxloop.govern.models import Kpi

    owner = _client(tenant_a.owner)
    team, survey = setup["teams"][1].pk, setup["survey"]
    good = {**BASE, "team": team, "name_en": "Support NPS", "kind": "survey", "survey": survey.pk,
            "question": "nps", "target": "30"}
    count = Kpi.objects.count()
    r = owner.post(_url(tenant_a, "new/"), {**good, "target": "lots"})
    assert _errors(r) == {"target": ["Enter a number."]}
    assert "Enter a number." in _field_html(r.content.decode(), "target")
    assert 'value="Support NPS"' in r.content.decode()  # what was typed is kept
    r = owner.post(_url(tenant_a, "new/"), {**good, "survey": ""})
    assert _errors(r) == {"survey": ["This field is required."]}
    assert "This field is required." in _field_html(r.content.decode(), "survey")
    r = owner.post(_url(tenant_a, "new/"), {**good, "kind": "ux_task_failure"})
    assert _errors(r) == {"task": ["This field is required."]}
    r = owner.post(_url(tenant_a, "new/"), {**good, "name_en": ""})
    assert _errors(r) == {"name_en": ["Give the KPI a name in at least one language."]}
    # the service's errors land on the field they name
    page = owner.get(_url(tenant_a, "new/")).content.decode()
    assert 'value="why"' not in page  # an open question has no number: not offered
    r = owner.post(_url(tenant_a, "new/"), {**good, "question": "recommend"})  # a question of another survey
    errors = _errors(r)
    assert list(errors) == ["question"] and errors["question"][0].startswith("measure.question: ")
    assert "measure.question: " in _field_html(r.content.decode(), "question")
    r = owner.post(_url(tenant_a, "new/"), {**good, "metric": "agree"})  # agree needs a CES question
    assert list(_errors(r)) == ["metric"]
    r = owner.post(_url(tenant_a, "new/"), {**good, "since": "2026-05", "until": "2026-02"})
    assert list(_errors(r)) == ["until"]
    r = owner.post(_url(tenant_a, "new/"), {**good, "since": "May"})
    assert list(_errors(r)) == ["since"]
    r = owner.post(_url(tenant_a, "new/"), {**good, "survey": 999999})  # not a survey of the organisation
    assert list(_errors(r)) == ["survey"]
    assert Kpi.objects.count() == count
    # a failed edit changes nothing either, and the page still shows the stored KPI
    k = _kpis(tenant_a)[0]
    r = owner.post(_url(tenant_a, f"{k.pk}/"), {**good, "name_en": "Renamed", "target": "x"})
    assert _errors(r) == {"target": ["Enter a number."]}
    assert "<h1>Export failure rate</h1>" in r.content.decode()
    r = owner.post(_url(tenant_a, f"{k.pk}/"), {**good, "name_en": "Renamed", "question": "recommend"})
    assert list(_errors(r)) == ["question"]
    k.refresh_from_db()
    assert (k.name["en"], k.measure, k.target) == ("Export failure rate", {"kind": "ux_task_failure",
                                                                            "task": "export_report"}, 10.0)
    # in Chinese, the field errors are Chinese
    zh = _client(tenant_a.owner, "zh-hans")
    errors = _errors(zh.post(_url(tenant_a, "new/"), {**good, "target": "lots", "survey": ""}))
    assert set(errors) == {"target", "survey"}
    assert errors["survey"] == ["这个字段是必填项。"] and "Enter a number." not in errors["target"]
    assert Kpi.objects.count() == count


def test_roles_and_other_organisations(tenant_a: Any, tenant_b: Any, setup: dict[str, Any]) -> None:
    from cxloop.govern.models import Kpi

    k = _kpis(tenant_a)[0]
    good = {**BASE, "team": setup["teams"][1].pk, "name_en": "Renewals", "kind": "renewal", "target": "80"}
    for user in (tenant_a.viewer, tenant_a.member):  # reading is for everyone, defining KPIs for analysts and up
        client = _client(user)
        assert client.get(_url(tenant_a, "new/")).status_code == 200
        page = client.get(_url(tenant_a, f"{k.pk}/")).content.decode()
        assert "Export failure rate" in page and 'name="target"' not in page
        assert "Add KPI" not in client.get(_url(tenant_a)).content.decode()
        assert client.post(_url(tenant_a, "new/"), good).status_code == 403
        assert client.post(_url(tenant_a, f"{k.pk}/"), good).status_code == 403
        assert client.post(_url(tenant_a, f"{k.pk}/delete/")).status_code == 403
    k.refresh_from_db()
    assert k.name["en"] == "Export failure rate" and Kpi.objects.filter(org=tenant_a.org).count() == 1
    assert "Add KPI" in _client(tenant_a.owner).get(_url(tenant_a)).content.decode()
    # a member of organisation B: 404 on A's pages, and on A's KPI under B's own address
    other = _client(tenant_b.member)
    for tail in ("new/", f"{k.pk}/", f"{k.pk}/delete/"):
        assert other.get(_url(tenant_a, tail)).status_code == 404, tail
        assert other.post(_url(tenant_a, tail), good).status_code == 404, tail
    b_owner = _client(tenant_b.owner)
    for tail in (f"{k.pk}/", f"{k.pk}/delete/"):
        assert b_owner.get(_url(tenant_b, tail)).status_code == 404, tail
        assert b_owner.post(_url(tenant_b, tail), good).status_code == 404, tail
    assert Kpi.objects.filter(pk=k.pk).exists() and not Kpi.objects.filter(org=tenant_b.org).exists()
    # B's form offers B's teams only: A's team is not a choice
    r = b_owner.post(_url(tenant_b, "new/"), good)
    assert list(_errors(r)) == ["team"] and not Kpi.objects.filter(org=tenant_b.org).exists()


def _rows(html: str) -> dict[str, tuple[str, str, str]]:
    """{month: (value text, n, status)} from the KPI page's table."""
    out = {}
    for month, row in re.findall(r'<tr class="gvb-month" data-month="(\d{4}-\d{2})">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
        out[month] = (text[0], text[1], text[2])
    return out


def test_the_kpi_page_shows_the_scoreboards_months(tenant_a: Any, setup: dict[str, Any]) -> None:
    from cxloop.govern import services

    k = _kpis(tenant_a)[0]  # export failures ≤ 10%: March 40/120, April 35/110, June 4/130, July 3/125
    html = _client(tenant_a.viewer).get(_url(tenant_a, f"{k.pk}/?to=2026-07")).content.decode()
    rows = _rows(html)
    assert list(rows) == [f"{m:%Y-%m}" for m in reversed(services.scoreboard(tenant_a.org, end=date(2026, 7, 1))
                                                                    .months)]  # newest first
    board = services.scoreboard(tenant_a.org, end=date(2026, 7, 1))
    cells = next(r.cells for b in board.teams for r in b.rows if r.kpi.pk == k.pk)
    labels = {"met": "Met", "missed": "Missed", "not_significant": "Not significant yet", "no_data": "No data",
              "": "Not counted"}
    for c in cells:
        value, n, status = rows[f"{c.month:%Y-%m}"]
        assert status == labels[c.status]
        if c.estimate is None:
            assert (value, n) == ("—", "—")
        elif c.estimate.value is None:
            assert (value, n) == ("—", "0")
        else:
            assert value == f"{c.estimate.value:.0f}% [{c.estimate.low:.0f}–{c.estimate.high:.0f}]"
            assert n == str(c.estimate.n)
    # by hand: July, 3 failures in 125 attempts, adjusted-Wald, in percent; met (the whole interval ≤ 10)
    p, low, high = hand_adjusted_wald(3, 125)
    assert rows["2026-07"] == (f"{p * 100:.0f}% [{low * 100:.0f}–{high * 100:.0f}]", "125", "Met")
    assert rows["2026-07"][0] == "2% [1–7]"
    p, low, high = hand_adjusted_wald(40, 120)
    march = f"{p * 100:.0f}% [{low * 100:.0f}–{high * 100:.0f}]"
    assert rows["2026-03"] == (march, "120", "Missed") and march == "33% [26–42]"
    assert rows["2026-05"] == ("—", "0", "No data") and rows["2025-12"] == ("—", "—", "Not counted")
    assert "Failure rate of export_report" in html and "≤ 10%" in html and "Product 产品部" in html


def test_scoreboard_links_kpis_and_has_a_phone_layout(tenant_a: Any, setup: dict[str, Any]) -> None:
    k = _kpis(tenant_a)[0]
    owner = _client(tenant_a.owner)
    r = owner.post(_url(tenant_a, "new/"), {**BASE, "team": setup["teams"][1].pk, "kind": "renewal", "target": "80",
                                            "name_en": "<script>alert('kpi')</script> renewals"})
    assert r.status_code == 302
    html = owner.get(_url(tenant_a, "?to=2026-07")).content.decode()
    link = f'<a href="{_url(tenant_a, f"{k.pk}/")}">Export failure rate</a>'
    assert html.count(link) == 2  # the desktop table and the phone list
    assert f'href="{_url(tenant_a, "new/")}"' in html and "Add KPI" in html
    assert "&lt;script&gt;alert(&#x27;kpi&#x27;)&lt;/script&gt; renewals" in html and "<script>alert(" not in html
    phone = html[html.index('<div class="gvb-narrow">'):]
    # the phone list: the last three months with their values, and twelve status dots with what they stand for
    assert phone.index("2026-07") < phone.index("2026-06") < phone.index("2026-05")
    assert 'title="2026-07: 2% [1–7], n = 125 · Met"' in phone
    assert 'title="2026-03: 33% [26–42], n = 120 · Missed"' in phone
    assert 'title="2025-12: — · Not counted"' in phone
    dots = re.findall(r'<li class="gvb-dot gvb-dot-(\w+)"', phone)
    assert len(dots) == 24 and dots[:12].count("met") == 2 and dots[:12].count("missed") == 2  # Jun, Jul / Mar, Apr
    assert "★ Product 产品部" in phone
    zh = _client(tenant_a.viewer, "zh-hans").get(_url(tenant_a, "?to=2026-07")).content.decode()
    assert "导出失败率" in zh and "KPI 计分板" in zh and "各月状态" in zh


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_form_shows_one_kinds_fields_and_the_phone_a_list(browser: Any, live_server: Any,
                                                                           tenant_a: Any, screenshot_dir: Path) -> None:
    from tests.browserkit import EN_DESKTOP, EN_PHONE, ZH_DESKTOP, ZH_PHONE, assert_fits, opened, shot, sign_in, sized

    from cxloop.govern.models import Kpi
    from cxloop.surveys import services as surveys

    data = governed(tenant_a)
    survey = _record(tenant_a.org, [({"nps": 9, "csat": 4}, "support", at(date(2026, 6, 3)))])
    other = {**DEFINITION, "pages": [{"key": "p1", "questions": [{"key": "recommend", "type": "nps",
                                                                  "text": "Recommend us?"}]}]}
    second = surveys.create_survey(org=tenant_a.org, name="Onboarding", definition=other)
    surveys.publish(survey=second)
    base, slug = live_server.url, tenant_a.org.slug
    for variant in (sized(EN_DESKTOP, 1280, 800), sized(EN_PHONE, 360, 800), sized(ZH_DESKTOP, 1280, 800),
                    sized(ZH_PHONE, 360, 800)):
        lang, phone, width = variant.lang, variant.phone, variant.viewport["width"]
        with opened(browser, variant) as (page, problems):
            sign_in(page, base, tenant_a.owner.email)
            k = Kpi.objects.filter(org=tenant_a.org).order_by("pk").first()
            assert k is not None
            for name, path in (("scoreboard", "kpis/?to=2026-07"), ("kpi", f"kpis/{k.pk}/?to=2026-07"),
                               ("new", "kpis/new/")):
                page.goto(f"{base}/o/{slug}/governance/{path}")
                assert page.locator("html").get_attribute("lang") == lang
                assert_fits(page, variant, name)
                if name == "scoreboard":  # the table on a desktop, the list on a phone
                    assert page.locator(".gvb-wide").is_visible() is not phone
                    assert page.locator(".gvb-narrow").is_visible() is phone
                    if phone:
                        assert page.locator(".gvb-kpi").count() == 1
                        assert page.locator(".gvb-kpi .gvb-dot").count() == 12
                        assert page.locator(".gvb-kpi .gvb-recent li").count() == 3
                        box = page.locator(".gvb-kpi").bounding_box()
                        assert box is not None and box["width"] <= width
                shot(page, screenshot_dir, f"governance-kpi-{name}-{variant.name}")
            # the form: only the chosen kind's fields; only the chosen survey's questions
            assert page.locator("select[name=task]").is_hidden() and page.locator("select[name=survey]").is_visible()
            page.select_option("select[name=kind]", "ux_task_failure")
            assert page.locator("select[name=task]").is_visible() and page.locator("select[name=survey]").is_hidden()
            page.select_option("select[name=kind]", "survey")
            page.select_option("select[name=survey]", str(survey.pk))
            visible = page.evaluate("Array.from(document.querySelectorAll('select[name=question] option'))"
                                    ".filter(o => !o.hidden && o.value).map(o => o.value)")
            assert visible == ["nps", "csat", "effort"]
            page.select_option("select[name=survey]", str(second.pk))
            visible = page.evaluate("Array.from(document.querySelectorAll('select[name=question] option'))"
                                    ".filter(o => !o.hidden && o.value).map(o => o.value)")
            assert visible == ["recommend"]
            assert not problems, problems
    # one KPI through the real form (English, desktop)
    with opened(browser, EN_DESKTOP) as (page, _problems):
        sign_in(page, base, tenant_a.owner.email)
        page.goto(f"{base}/o/{slug}/governance/kpis/new/")
        page.select_option("select[name=team]", str(data["teams"][2].pk))
        page.fill("input[name=name_en]", "Support NPS")
        page.select_option("select[name=survey]", str(survey.pk))
        page.select_option("select[name=question]", "nps")
        page.fill("input[name=target]", "30")
        page.fill("input[name=since]", "2026-01")
        page.click("form.gvb-kpi-form button[type=submit]")
        page.wait_for_selector("dd.gvb-target")
        saved = Kpi.objects.get(org=tenant_a.org, name__en="Support NPS")
        assert saved.measure == {"kind": "survey", "survey": survey.pk, "question": "nps", "metric": "nps",
                                 "touchpoint": "", "channel": "", "tier": ""}
        assert page.locator("dd.gvb-target").inner_text() == "≥ 30 points"
