"""The spec: its typed model, its loader and its JSON Schema."""

from jenkinsgen.spec.loader import load_spec, load_spec_text
from jenkinsgen.spec.model import (
    Defaults,
    Environment,
    Image,
    Seed,
    Service,
    Spec,
    TestStep,
    Trigger,
)
from jenkinsgen.spec.schema import json_schema, json_schema_text

__all__ = [
    "Defaults",
    "Environment",
    "Image",
    "Seed",
    "Service",
    "Spec",
    "TestStep",
    "Trigger",
    "json_schema",
    "json_schema_text",
    "load_spec",
    "load_spec_text",
]
