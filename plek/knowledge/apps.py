from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "plek.knowledge"
    label = "knowledge"
    verbose_name = "Kennisbank"
