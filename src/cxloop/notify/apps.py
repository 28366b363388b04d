from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "cxloop.notify"
    label = "notify"
    verbose_name = "Notifications (events, webhooks, team chats)"
