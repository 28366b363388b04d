from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "cxloop.interop"
    label = "interop"
    verbose_name = "Interop (imports from Qualtrics, LimeSurvey, SurveyJS; exports to them)"
