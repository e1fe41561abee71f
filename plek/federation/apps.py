from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "plek.federation"
    verbose_name = "Federatie"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from plek.federation import signals  # noqa: F401  (tombstones for the OAI-PMH provider)
