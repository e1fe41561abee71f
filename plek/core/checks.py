"""Deployment checks of PLeK's own, run by `plek check --deploy` next to Django's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# Keys that are public: the settings' development default and whatever .env.example ships.
PUBLIC_KEY_PREFIXES = ("plek-insecure", "django-insecure")


def example_secret_keys() -> set[str]:
    keys: set[str] = set()
    example = Path(settings.BASE_DIR) / ".env.example"
    if example.exists():
        for line in example.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() == "SECRET_KEY" and value.strip():
                keys.add(value.strip().strip("'\""))
    return keys


@register(Tags.security, deploy=True)
def check_secret_key_is_not_public(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A SECRET_KEY copied from .env.example (or the development default) signs sessions, password
    reset links and CSRF tokens with a key anyone can read: refuse to call that deployable."""
    public = example_secret_keys()
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(k in public or str(k).startswith(PUBLIC_KEY_PREFIXES) for k in keys):
        return [
            Error(
                "SECRET_KEY is the public example or development key.",
                hint="Set SECRET_KEY to a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="plek.E001",
            )
        ]
    return []
