"""URLs under /o/<org>/governance/ (issue 9): the committee (the section's landing page), the KPI scoreboard,
action plans and success stories."""

from django.urls import URLPattern, path

from cxloop.web import govern_committee_views as committee_views
from cxloop.web import govern_kpi_views, govern_views
from cxloop.web import govern_plan_views as plan_views

urlpatterns: list[URLPattern] = [
    path("", govern_views.committee, name="governance"),
    path("kpis/", govern_kpi_views.scoreboard, name="governance_kpis"),
    path("plans/", govern_views.plans, name="governance_plans"),
    path("plans/<int:plan_id>/", govern_views.plan, name="governance_plan"),
    path("stories/", govern_views.success, name="governance_stories"),
    path("report/", govern_views.report_page, name="governance_report"),
    # committee and meetings (forms)
    path("committee/edit/", committee_views.committee_edit, name="governance_committee_edit"),
    path("meetings/", committee_views.meetings, name="governance_meetings"),
    path("meetings/new/", committee_views.meeting_new, name="governance_meeting_new"),
    path("meetings/<int:meeting_id>/", committee_views.meeting, name="governance_meeting"),
    path("meetings/<int:meeting_id>/edit/", committee_views.meeting_edit, name="governance_meeting_edit"),
    # KPIs (forms)
    path("kpis/new/", govern_kpi_views.kpi_new, name="governance_kpi_new"),
    path("kpis/<int:kpi_id>/", govern_kpi_views.kpi_page, name="governance_kpi"),
    path("kpis/<int:kpi_id>/delete/", govern_kpi_views.kpi_delete, name="governance_kpi_delete"),
    # action plans (forms, one-step creation)
    path("plans/from-theme/", plan_views.plan_from_theme, name="governance_plan_from_theme"),
    path("plans/from-step/", plan_views.plan_from_step, name="governance_plan_from_step"),
    path("plans/from-cases/", plan_views.plan_from_cases, name="governance_plan_from_cases"),
    path("plans/<int:plan_id>/edit/", plan_views.plan_edit, name="governance_plan_edit"),
]
