"""JSON Schemas (draft 2020-12) of params.yaml and of a dataset line, generated from the models."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from benchgate import __version__
from benchgate.reference.subjects import REFERENCES, Reference, Subject

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_PARAGRAPH = re.compile(r"\n\s*\n")
_VALUES = frozenset({"default", "const", "enum", "examples"})
"""Keys whose values are data, not schemas: left exactly as generated."""


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with the defaults a user would see and without invented titles."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        # A field's title would only repeat its key ("Max Drop" for max_drop).
        return False

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return factory()  # type: ignore[call-arg]
        return super().get_default_value(schema)


def json_schema(subject: Subject) -> dict[str, Any]:
    """The JSON Schema of `subject`: field docstrings as descriptions, unknown keys rejected."""
    return document(REFERENCES[subject])


def document(reference: Reference) -> dict[str, Any]:
    """`json_schema` of any documented model."""
    body = _tidy(reference.model.model_json_schema(schema_generator=_Generator))
    defs = body.pop("$defs", None)
    body.pop("title", None)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:benchgate:{reference.name}:{__version__}",
        "title": reference.title,
        **body,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def schema_text(subject: Subject) -> str:
    """`json_schema` as the bytes `benchgate schema` prints: indented, UTF-8, stable order."""
    return json.dumps(json_schema(subject), indent=2, ensure_ascii=False) + "\n"


def _tidy(node: JsonSchemaValue) -> JsonSchemaValue:
    """Docstrings' line breaks made spaces (paragraphs kept), so every viewer reflows them alike."""
    tidy: JsonSchemaValue = {}
    for key, value in node.items():
        if key in _VALUES:
            tidy[key] = value
        elif key == "description" and isinstance(value, str):
            tidy[key] = "\n\n".join(" ".join(part.split()) for part in _PARAGRAPH.split(value.strip()))
        elif isinstance(value, dict):
            tidy[key] = _tidy(value)
        elif isinstance(value, list):
            tidy[key] = [_tidy(item) if isinstance(item, dict) else item for item in value]
        else:
            tidy[key] = value
    return tidy
