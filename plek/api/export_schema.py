"""Write the OpenAPI document of API v1 to docs/openapi.json (pretty-printed, sorted keys).

    python -m plek.api.export_schema            # write docs/openapi.json
    python -m plek.api.export_schema --check    # exit 1 when docs/openapi.json is out of date
    python -m plek.api.export_schema -o FILE    # write elsewhere ("-" for stdout)

The test plek/api/tests/test_openapi.py fails when the live schema drifts from the snapshot.
`servers` and `info.contact` depend on the environment (SITE_URL, API_CONTACT_*) and are left
out of that comparison."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "python -m plek.api.export_schema"
ENVIRONMENT_KEYS = ("servers",)


def live_schema() -> dict[str, Any]:
    from plek.api.router import api

    # through JSON, so keys are strings (status codes) exactly as served
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))  # type: ignore[no-any-return]


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def comparable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the parts that depend on the environment."""
    out = {k: v for k, v in schema.items() if k not in ENVIRONMENT_KEYS}
    out["info"] = {k: v for k, v in schema.get("info", {}).items() if k != "contact"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(SNAPSHOT), help="file to write, '-' for stdout")
    parser.add_argument("--check", action="store_true", help="only compare with the snapshot")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    schema = live_schema()
    if args.check:
        current = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
        if comparable(current) != comparable(schema):
            print(f"{SNAPSHOT} is out of date; run: {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{SNAPSHOT} is up to date")
        return 0
    text = render(schema)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(schema.get('paths', {}))} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
