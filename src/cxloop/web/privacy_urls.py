"""URLs under /o/<org>/privacy/ (issue 10): data-subject requests (find, summary, export, erase) and retention
policies per survey."""

from django.urls import URLPattern, path

from cxloop.web import privacy_views as views

urlpatterns: list[URLPattern] = [
    path("", views.privacy_home, name="privacy"),
    path("contacts/<int:contact_id>/", views.privacy_contact, name="privacy_contact"),
    path("contacts/<int:contact_id>/export/", views.privacy_export, name="privacy_export"),
    path("retention/", views.retention_list, name="privacy_retention"),
    path("retention/<int:survey_id>/", views.retention_edit, name="privacy_retention_edit"),
    path("retention/<int:survey_id>/remove/", views.retention_remove, name="privacy_retention_remove"),
]
