from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "plek.notifications"
    label = "notifications"
    verbose_name = "Meldingen"
