"""API v1 for learning (see plek/learning/)."""

from __future__ import annotations

from ninja import Router

router = Router()
