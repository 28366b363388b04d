"""URLs under /o/<org>/behaviour/ (issue 8), included from web/urls.py: the UX scorecard (the section's landing
page), tasks, retention and loyalty (funnels and events have their own files)."""

from django.urls import URLPattern, path

from cxloop.web import ux_views

urlpatterns: list[URLPattern] = [
    path("", ux_views.scorecard, name="behaviour"),
    path("tasks/", ux_views.tasks, name="behaviour_tasks"),
    path("retention/", ux_views.retention, name="retention"),
    path("loyalty/", ux_views.loyalty, name="loyalty"),
]
