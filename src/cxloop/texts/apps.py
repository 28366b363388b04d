from django.apps import AppConfig


class TextsConfig(AppConfig):
    name = "cxloop.texts"
    label = "texts"
    verbose_name = "Text analytics (language, sentiment, themes)"
