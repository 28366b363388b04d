"""URLs under /o/<org>/governance/ (issue 9): the committee (the section's landing page), the KPI scoreboard,
action plans and success stories."""

from django.urls import URLPattern, path

from cxloop.web import govern_views

urlpatterns: list[URLPattern] = [
    path("", govern_views.committee, name="governance"),
    path("kpis/", govern_views.scoreboard, name="governance_kpis"),
    path("plans/", govern_views.plans, name="governance_plans"),
    path("plans/<int:plan_id>/", govern_views.plan, name="governance_plan"),
    path("stories/", govern_views.success, name="governance_stories"),
    path("report/", govern_views.report_page, name="governance_report"),
]
