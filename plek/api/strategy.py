"""API v1 for strategy (see plek/strategy/)."""

from __future__ import annotations

from ninja import Router

router = Router()
