from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "cxloop.orgs"
    label = "orgs"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        from cxloop.orgs import signals  # noqa: F401  (connect audit receivers)
