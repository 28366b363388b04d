from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "cxloop.analytics"
    label = "analytics"
    verbose_name = "Analytics (rollups and metrics)"

    def ready(self) -> None:
        from cxloop.analytics import signals  # noqa: F401  (an account's tier change marks its rollups dirty)
