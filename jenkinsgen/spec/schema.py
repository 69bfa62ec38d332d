"""JSON Schema (draft 2020-12) of spec v1, generated from the same declaration the
validator uses, for editors (yaml-language-server) and CI linters."""

from __future__ import annotations

import json
from typing import Any

from jenkinsgen.spec.v1 import SPEC

SCHEMA_ID = "https://jenkinsgen.dev/schema/spec-v1.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of spec version 1."""
    schema = SPEC.schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def json_schema_text() -> str:
    """The schema as stable, pretty JSON text (ends with a newline)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
