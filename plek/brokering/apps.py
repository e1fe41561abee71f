from django.apps import AppConfig


class BrokeringConfig(AppConfig):
    name = "plek.brokering"
    label = "brokering"
    verbose_name = "Kennismakelen"

    def ready(self) -> None:
        from plek.brokering import regions

        regions.connect()
