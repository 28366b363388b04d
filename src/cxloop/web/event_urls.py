"""URLs under /o/<org>/behaviour/ (issue 8), included from web/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
