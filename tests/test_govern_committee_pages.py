"""Editing the CX committee on its pages: name, chair, seats (which departments, their heads, the rotation order)
— stored and audit-logged, bad input a form error with nothing written — and the committee's meetings (new, shown,
edited; decisions linked to action plans by ``AP-n``), roles and tenancy checked, user text escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.test_govern_pages import governed

pytestmark = pytest.mark.django_db


def _client(user: Any, lang: str = "en") -> Client:
    client = Client()
    client.force_login(user)  # Client.login() needs a request with django-axes
    client.cookies["django_language"] = lang
    return client


def _seats(org: Any) -> list[tuple[int, int | None, int]]:
    from cxloop.govern.models import Seat

    return [(s.team_id, s.head_id, s.position) for s in Seat.objects.filter(committee__org=org)]


def _committee_post(teams: list[Any], **rows: Any) -> dict[str, Any]:
    """Form data: every team off unless ``rows`` gives ``{team_index: (head_or_None, order)}``."""
    data: dict[str, Any] = {"name_zh_hans": "客户委员会", "name_zh_hant": "", "name_en": "Customer council",
                            "chair": ""}
    for i, team in enumerate(teams):
        head, order = rows.get(f"t{i}", (None, None))
        if f"t{i}" in rows:
            data[f"on_{team.pk}"] = "on"
        data[f"head_{team.pk}"] = "" if head is None else str(head)
        data[f"order_{team.pk}"] = "" if order is None else str(order)
    return data


def test_editing_the_committee_stores_chair_seats_order_and_heads(tenant_a: Any) -> None:
    from cxloop.govern import services
    from cxloop.orgs.models import AuditEvent

    data = governed(tenant_a)
    teams = data["teams"]  # Support (lead: owner), Product 产品部, Marketing, Sales (leads: 主管 0, 1, 2)
    slug = tenant_a.org.slug
    owner = _client(tenant_a.owner)
    committee_page = owner.get(f"/o/{slug}/governance/").content.decode()
    assert f'href="/o/{slug}/governance/committee/edit/"' in committee_page and "Edit committee" in committee_page
    form = owner.get(f"/o/{slug}/governance/committee/edit/")
    assert form.status_code == 200
    page = form.content.decode()
    assert "Edit the committee" in page and "Departments on the committee" in page
    for team in teams:
        assert f'name="on_{team.pk}"' in page and f'name="head_{team.pk}"' in page
    # today's seats are shown: Support first, ticked, rotation order 1, its lead (the owner) as head
    assert f'name="on_{teams[0].pk}" id="id_on_{teams[0].pk}" checked' in page
    assert f'name="order_{teams[0].pk}" value="1"' in page and f'name="order_{teams[3].pk}" value="4"' in page
    assert 'value="CX committee"' in page and "Acme Retail owner" in page
    assert "the team lead (主管 0)" in page

    before = AuditEvent.objects.filter(org=tenant_a.org, action="committee.updated").count()
    # Sales first with the member as head, then Product (head: its lead), then Marketing with the viewer;
    # Support leaves the committee; the member chairs it
    post = _committee_post(teams, t3=(tenant_a.member.pk, 1), t1=(None, 2), t2=(tenant_a.viewer.pk, 3))
    post["chair"] = str(tenant_a.member.pk)
    post["report_day"] = "5"
    response = owner.post(f"/o/{slug}/governance/committee/edit/", post)
    assert response.status_code == 302 and response["Location"] == f"/o/{slug}/governance/"
    c = services.committee(tenant_a.org)
    assert c.name == {"zh-hans": "客户委员会", "en": "Customer council"}
    assert c.chair_id == tenant_a.member.pk and c.report_day == 5
    assert _seats(tenant_a.org) == [(teams[3].pk, tenant_a.member.pk, 0), (teams[1].pk, teams[1].lead_id, 1),
                                    (teams[2].pk, tenant_a.viewer.pk, 2)]
    assert teams[1].lead_id is not None
    events = AuditEvent.objects.filter(org=tenant_a.org, action="committee.updated")
    assert events.count() == before + 1
    event = events.first()
    assert event is not None and event.actor_id == tenant_a.owner.pk and event.target == "committee"
    assert event.data["chair"] == tenant_a.member.pk
    assert event.data["seats"] == [teams[3].pk, teams[1].pk, teams[2].pk]
    shown = owner.get(f"/o/{slug}/governance/").content.decode()
    assert "The committee is saved." in shown and "Customer council" in shown and "Acme Retail member" in shown
    assert "Sent to the committee automatically on day 5 of each month." in shown
    assert 'name="report_day" value="5"' in owner.get(f"/o/{slug}/governance/committee/edit/").content.decode()

    # ties in the order keep the current order; an empty order goes last; no chair clears it
    post = _committee_post(teams, t0=(None, None), t1=(None, 1), t3=(tenant_a.member.pk, 1))
    assert owner.post(f"/o/{slug}/governance/committee/edit/", post).status_code == 302
    assert [s[0] for s in _seats(tenant_a.org)] == [teams[3].pk, teams[1].pk, teams[0].pk]
    assert _seats(tenant_a.org)[2][1] == tenant_a.owner.pk  # Support's head: its lead
    assert services.committee(tenant_a.org).chair_id is None
    assert services.committee(tenant_a.org).report_day is None  # emptied: only sent by hand
    assert "Not sent on a schedule" in owner.get(f"/o/{slug}/governance/").content.decode()


def test_bad_input_is_a_form_error_and_nothing_changes(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.govern import services
    from cxloop.orgs.models import AuditEvent

    teams = governed(tenant_a)["teams"]
    slug = tenant_a.org.slug
    owner = _client(tenant_a.owner)
    seats, audits = _seats(tenant_a.org), AuditEvent.objects.filter(org=tenant_a.org).count()
    url = f"/o/{slug}/governance/committee/edit/"

    # a head from another organisation (on the second row, which is ticked)
    post = _committee_post(teams, t0=(None, 1), t1=(tenant_b.owner.pk, 2))
    response = owner.post(url, post)
    page = response.content.decode()
    assert response.status_code == 200 and "Choose a member of this organisation." in page
    assert page.index("Choose a member of this organisation.") > page.index(f'name="head_{teams[1].pk}"')
    assert 'value="Customer council"' in page  # what was typed is kept
    # a chair from another organisation, no name at all, a rotation order of 0
    post = _committee_post(teams, t0=(None, 0))
    post.update({"chair": str(tenant_b.owner.pk), "name_zh_hans": "", "name_en": " ", "report_day": "29"})
    page = owner.post(url, post).content.decode()
    assert "Ensure this value is less than or equal to 28." in page
    assert page.count("Choose a member of this organisation.") == 1
    assert "Give the committee a name in at least one language." in page
    assert "Ensure this value is greater than or equal to 1." in page

    c = services.committee(tenant_a.org)
    assert c.name["en"] == "CX committee" and c.chair_id == tenant_a.owner.pk
    assert _seats(tenant_a.org) == seats and len(seats) == 4
    assert AuditEvent.objects.filter(org=tenant_a.org).count() == audits


def test_roles_and_tenancy_of_the_new_pages(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.govern import services
    from cxloop.govern.models import Meeting

    teams = governed(tenant_a)["teams"]
    services.save_meeting(org=tenant_b.org, held_on="2026-07-01", title="B's meeting")
    slug = tenant_a.org.slug
    meeting = services.meetings(tenant_a.org)[0]
    pages = [f"/o/{slug}/governance/committee/edit/", f"/o/{slug}/governance/meetings/new/",
             f"/o/{slug}/governance/meetings/{meeting.pk}/", f"/o/{slug}/governance/meetings/{meeting.pk}/edit/"]
    seats = _seats(tenant_a.org)
    meeting_post = {"held_on": "2026-09-01", "title": "Viewer's meeting", "decisions": "", "agenda": ""}
    committee_post = _committee_post(teams, t0=(None, 1))

    viewer = _client(tenant_a.viewer)
    committee_page = viewer.get(f"/o/{slug}/governance/").content.decode()
    assert "Edit committee" not in committee_page and "New meeting" not in committee_page
    assert f'href="/o/{slug}/governance/meetings/{meeting.pk}/"' in committee_page  # the meeting's page is linked
    shown = viewer.get(pages[2])
    assert shown.status_code == 200 and "July committee" in shown.content.decode()
    assert "Edit the meeting" not in shown.content.decode()
    for who in (viewer, _client(tenant_a.member)):  # managers only: the member role is not enough either
        assert who.get(pages[0]).status_code == 403 and who.get(pages[1]).status_code == 403
        assert who.get(pages[3]).status_code == 403
        assert who.post(pages[0], committee_post).status_code == 403
        assert who.post(pages[1], meeting_post).status_code == 403
        assert who.post(pages[3], meeting_post).status_code == 403
        assert who.post(pages[2], meeting_post).status_code == 405
    assert _seats(tenant_a.org) == seats
    assert list(Meeting.objects.filter(committee__org=tenant_a.org).values_list("title", flat=True)) == [
        "July committee"]

    # the owner of B: 404 on A's pages, and on A's meeting under B's own address
    other = _client(tenant_b.owner)
    for url in pages:
        assert other.get(url).status_code == 404, url
        assert other.post(url, meeting_post if "meetings" in url else committee_post).status_code in (404, 405), url
    for url in pages[2:]:
        assert other.get(url.replace(f"/o/{slug}/", f"/o/{tenant_b.org.slug}/")).status_code == 404
        assert other.post(url.replace(f"/o/{slug}/", f"/o/{tenant_b.org.slug}/"), meeting_post).status_code in (
            404, 405)
    assert other.post(pages[3], meeting_post).status_code == 404
    assert _seats(tenant_a.org) == seats and services.meeting(tenant_a.org, meeting.pk).title == "July committee"
    # B's own pages work
    assert other.get(f"/o/{tenant_b.org.slug}/governance/committee/edit/").status_code == 200
    assert other.get(f"/o/{tenant_b.org.slug}/governance/meetings/new/").status_code == 200


def test_meetings_are_created_edited_and_shown_escaped(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.govern import services
    from cxloop.govern.models import Meeting
    from cxloop.orgs.models import AuditEvent

    data = governed(tenant_a)
    worked, proposed = data["worked"], data["proposed"]  # AP-1 Fix report export, AP-2 <script>… onboarding
    assert (worked.number, proposed.number) == (1, 2)
    b_plan = services.save_plan(org=tenant_b.org, data={"title": "B's plan"})
    slug = tenant_a.org.slug
    owner = _client(tenant_a.owner)
    committee_page = owner.get(f"/o/{slug}/governance/").content.decode()
    assert f'href="/o/{slug}/governance/meetings/new/"' in committee_page and "New meeting" in committee_page

    form = owner.get(f"/o/{slug}/governance/meetings/new/").content.decode()
    assert 'type="date"' in form and f'<option value="{worked.pk}">AP-1 Fix report export</option>' in form
    assert "&lt;script&gt;alert(&#x27;plan&#x27;)&lt;/script&gt; onboarding" in form
    assert "<script>alert('plan')" not in form

    post = {"held_on": "2026-08-27", "title": "<script>alert('m')</script> August", "agenda": "1. Review\n2. Vote",
            "decisions": "Approve the onboarding plan AP-2\n\nap-1: Close the export plan\nHire a researcher\n",
            "notes": "Everyone <b>agreed</b>.", "plans": [str(worked.pk), str(proposed.pk)]}
    response = owner.post(f"/o/{slug}/governance/meetings/new/", post)
    assert response.status_code == 302
    m = Meeting.objects.get(committee__org=tenant_a.org, title="<script>alert('m')</script> August")
    assert response["Location"] == f"/o/{slug}/governance/meetings/{m.pk}/"
    assert str(m.held_on) == "2026-08-27" and m.agenda == "1. Review\n2. Vote" and m.notes == "Everyone <b>agreed</b>."
    assert m.decisions == [{"text": "Approve the onboarding plan", "plan": proposed.pk},
                           {"text": "Close the export plan", "plan": worked.pk},
                           {"text": "Hire a researcher", "plan": None}]
    assert sorted(m.plans.values_list("pk", flat=True)) == sorted([worked.pk, proposed.pk])
    assert m.created_by_id == tenant_a.owner.pk
    event = AuditEvent.objects.filter(org=tenant_a.org, action="committee.meeting_saved").first()
    assert event is not None and event.actor_id == tenant_a.owner.pk and event.target == str(m.pk)

    page = owner.get(response["Location"]).content.decode()
    assert "The meeting is saved." in page and "2026-08-27" in page
    assert "&lt;script&gt;alert(&#x27;m&#x27;)&lt;/script&gt; August" in page and "<script>alert(" not in page
    assert "Everyone &lt;b&gt;agreed&lt;/b&gt;." in page and "1. Review\n2. Vote" in page
    assert (f'<span>Close the export plan</span> <a href="/o/{slug}/governance/plans/{worked.pk}/">'
            "AP-1 Fix report export</a>") in page
    assert f'<a href="/o/{slug}/governance/plans/{proposed.pk}/">AP-2 &lt;script&gt;' in page
    assert "<span>Hire a researcher</span></li>" in page
    assert f'href="/o/{slug}/governance/meetings/{m.pk}/edit/"' in page  # the manager may edit it
    listed = owner.get(f"/o/{slug}/governance/").content.decode()
    assert f'<a href="/o/{slug}/governance/meetings/{m.pk}/">2026-08-27 · &lt;script&gt;' in listed

    # edit: the form shows what is stored (a linked decision ends with its plan's number) …
    edit_url = f"/o/{slug}/governance/meetings/{m.pk}/edit/"
    form = owner.get(edit_url).content.decode()
    assert ("Approve the onboarding plan AP-2\nClose the export plan AP-1\nHire a researcher</textarea>" in form)
    assert 'value="2026-08-27"' in form and f'<option value="{worked.pk}" selected>' in form
    # … and saves the change
    post.update({"title": "August committee", "held_on": "2026-08-28", "decisions": "Keep going AP-1",
                 "plans": [], "notes": ""})
    assert owner.post(edit_url, post)["Location"] == f"/o/{slug}/governance/meetings/{m.pk}/"
    m.refresh_from_db()
    assert (m.title, str(m.held_on), m.notes) == ("August committee", "2026-08-28", "")
    assert m.decisions == [{"text": "Keep going", "plan": worked.pk}] and not m.plans.exists()
    assert Meeting.objects.filter(committee__org=tenant_a.org).count() == 2

    # an unknown plan number, a line with only a number, another org's plan, no title, no date: form errors
    bad = {"held_on": "2026-02-30", "title": " ", "agenda": "", "notes": "",
           "decisions": "Fine\nLaunch it AP-99\nAP-1:", "plans": [str(b_plan.pk)]}
    response = owner.post(edit_url, bad)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2 (Launch it AP-99): there is no action plan AP-99." in page
    assert "Line 3 (AP-1:): write the decision, not only the plan." in page
    assert "Choose action plans of this organisation." in page
    assert "Enter a valid date." in page and "This field is required." in page
    assert owner.post(f"/o/{slug}/governance/meetings/new/", {**bad, "held_on": "2026-09-01", "title": "Sept",
                                                              "plans": []}).status_code == 200
    m.refresh_from_db()
    assert m.title == "August committee" and m.decisions == [{"text": "Keep going", "plan": worked.pk}]
    assert Meeting.objects.filter(committee__org=tenant_a.org).count() == 2
    assert owner.get(f"/o/{slug}/governance/meetings/999999/").status_code == 404


def test_the_forms_in_chinese(tenant_a: Any) -> None:
    governed(tenant_a)
    slug = tenant_a.org.slug
    owner = _client(tenant_a.owner, "zh-hans")
    page = owner.get(f"/o/{slug}/governance/committee/edit/").content.decode()
    assert "主席" in page and "取消" in page and "客户体验委员会" in page  # translated already; the name as stored
    assert "编辑委员会" in page and "委员会中的部门" in page
    form = owner.get(f"/o/{slug}/governance/meetings/new/").content.decode()
    assert "标题" in form and "取消" in form


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_forms_fit_a_phone(browser: Any, live_server: Any, tenant_a: Any, screenshot_dir: Any) -> None:
    """360 px wide: no sideways scrolling, and a seat's fields stack in one column."""
    from tests.browserkit import EN_PHONE, assert_fits, opened, shot, sign_in, sized

    from cxloop.govern import services

    data = governed(tenant_a)
    meeting = services.save_meeting(org=tenant_a.org, held_on="2026-08-27", title="August committee",
                                    agenda="1. Review the export fix", notes="All agreed.",
                                    decisions=[{"text": "Close the export plan", "plan": data["worked"].pk}],
                                    plans=[data["worked"].pk, data["proposed"].pk])
    base, slug = live_server.url, tenant_a.org.slug
    phone = sized(EN_PHONE, 360, 780)
    with opened(browser, phone) as (page, problems):
        sign_in(page, base, tenant_a.owner.email)
        for name, path in (("committee-edit", "committee/edit/"), ("meeting-new", "meetings/new/"),
                           ("meeting", f"meetings/{meeting.pk}/"), ("meeting-edit", f"meetings/{meeting.pk}/edit/")):
            page.goto(f"{base}/o/{slug}/governance/{path}")
            assert_fits(page, phone, name)
            if name == "committee-edit":
                team = data["teams"][1].pk
                head = page.locator(f"#id_head_{team}").bounding_box()
                order = page.locator(f"#id_order_{team}").bounding_box()
                assert head and order and order["y"] > head["y"] + head["height"] - 1 and head["width"] > 250
            if name == "meeting":
                assert page.locator(f"a[href='/o/{slug}/governance/plans/{data['worked'].pk}/']").count() == 2
            shot(page, screenshot_dir, f"governance-a-{name}-en-phone")
        # saving from the phone works
        page.goto(f"{base}/o/{slug}/governance/meetings/{meeting.pk}/edit/")
        page.fill("#id_title", "August committee (phone)")
        page.click("button[type=submit].btn-primary")
        page.wait_for_selector("h1:has-text('August committee (phone)')")
        assert problems == [], problems


def test_all_meetings_are_listed_latest_first(tenant_a: Any) -> None:
    from cxloop.govern import services

    governed(tenant_a)  # one meeting: 2026-07-30 "July committee", deciding to close AP-1
    for i in range(6):
        services.save_meeting(org=tenant_a.org, held_on=f"2026-0{i + 1}-15", title=f"Meeting <b>{i}</b>")
    slug = tenant_a.org.slug
    viewer = _client(tenant_a.viewer)
    committee = viewer.get(f"/o/{slug}/governance/").content.decode()
    assert committee.count('class="gv-meeting"') == 5 and f'href="/o/{slug}/governance/meetings/"' in committee
    page = viewer.get(f"/o/{slug}/governance/meetings/").content.decode()
    assert page.count('class="gv-meeting"') == 7 and "New meeting" not in page  # the viewer cannot add one
    assert page.index("2026-07-30") < page.index("2026-06-15") < page.index("2026-01-15")
    assert "Meeting &lt;b&gt;0&lt;/b&gt;" in page and "<b>0</b>" not in page
    assert "Close AP-1" in page
    assert "New meeting" in _client(tenant_a.owner).get(f"/o/{slug}/governance/meetings/").content.decode()
