"""URLs under /o/<org>/imports/ (issue 10): surveys and responses imported from other survey tools."""

from django.urls import URLPattern, path

from cxloop.web import interop_views

urlpatterns: list[URLPattern] = [
    path("", interop_views.import_list, name="imports"),
    path("new/", interop_views.import_new, name="import_new"),
    path("<int:import_id>/", interop_views.import_detail, name="import_detail"),
]
