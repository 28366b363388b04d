from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cxloop.cases"
    label = "cases"
    verbose_name = "Cases (alert rules, the closed loop)"

    def ready(self) -> None:
        from cxloop.cases import intake
        from cxloop.surveys import hooks

        hooks.on_captured(intake.queue)  # every capture path queues its responses for the rules
