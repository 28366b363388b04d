from django.apps import AppConfig


class GovernConfig(AppConfig):
    name = "cxloop.govern"
    label = "govern"
    verbose_name = "Govern (CX committee, department KPIs, action plans)"
