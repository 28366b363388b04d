from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "cxloop.journeys"
    label = "journeys"
    verbose_name = "Journeys (touchpoints, stages, service blueprint lanes)"
