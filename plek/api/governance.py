"""API v1 for governance (see plek/governance/)."""

from __future__ import annotations

from ninja import Router

router = Router()
