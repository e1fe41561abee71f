from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plek.core"
    label = "core"
    verbose_name = "PLeK core"

    def ready(self) -> None:
        from plek.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            freshness,
            lookups,
        )

        freshness.connect()
        lookups.register()
