from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The platform above the apps: commands that span them (`plek demo`, `bench`, `serve`, `worker`,
    `search`, `backup`, `restore`, `migrate`), the health checks, and the registry of every call from a
    lower layer to a higher one (`registry.py`). No app imports it."""

    name = "plek.platform"
    label = "platform"
    verbose_name = "PLeK platform"

    def ready(self) -> None:
        from plek.platform import registry

        registry.register()
