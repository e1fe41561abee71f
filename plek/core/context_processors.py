from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"platform_name": "PLeK"}
