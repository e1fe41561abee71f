from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "plek.knowledge"
    label = "knowledge"
    verbose_name = "Kennisbank"

    def ready(self) -> None:
        from plek.knowledge import checks  # noqa: F401  (registers the word-list check)
