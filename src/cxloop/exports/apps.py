from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "cxloop.exports"
    label = "exports"
    verbose_name = "Exports"
