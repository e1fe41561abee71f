from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "plek.api"
    label = "api"
    verbose_name = "API"
