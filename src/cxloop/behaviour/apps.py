from django.apps import AppConfig


class BehaviourConfig(AppConfig):
    name = "cxloop.behaviour"
    label = "behaviour"
    verbose_name = "Behaviour (events customers do)"
