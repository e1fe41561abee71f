from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plek.core"
    label = "core"
    verbose_name = "PLeK core"
