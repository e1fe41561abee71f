from django.apps import AppConfig


class AtlasConfig(AppConfig):
    name = "plek.atlas"
    label = "atlas"
    verbose_name = "Atlas"
