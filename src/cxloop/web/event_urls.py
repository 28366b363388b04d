"""URLs under /o/<org>/behaviour/events/ (issue 8), included from web/urls.py: the event log (newest events with
filters, counts per event name, the widget's site key), the CSV import of historical events and the site key's
settings."""

from django.urls import URLPattern, path

from cxloop.web import event_views

urlpatterns: list[URLPattern] = [
    path("", event_views.event_log_page, name="events"),
    path("import/", event_views.event_import, name="events_import"),
    path("site-key/", event_views.site_key_update, name="events_site_key"),
]
