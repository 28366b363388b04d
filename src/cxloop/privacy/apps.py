from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "cxloop.privacy"
    label = "privacy"
    verbose_name = "Privacy (data-subject requests, retention policies)"
