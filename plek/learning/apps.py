from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "plek.learning"
    label = "learning"
    verbose_name = "Gebiedsleren"
