from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "cxloop.ops"
    label = "ops"
