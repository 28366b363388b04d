"""URLs under /o/<org>/behaviour/funnels/ (issue 8), included from web/urls.py."""

from django.urls import URLPattern, path

from cxloop.web import funnel_views

urlpatterns: list[URLPattern] = [
    path("", funnel_views.funnel_list, name="funnels"),
    path("new/", funnel_views.funnel_new, name="funnel_new"),
    path("<int:funnel_id>/", funnel_views.funnel_detail, name="funnel_detail"),
    path("<int:funnel_id>/edit/", funnel_views.funnel_edit, name="funnel_edit"),
    path("<int:funnel_id>/delete/", funnel_views.funnel_delete, name="funnel_delete"),
]
