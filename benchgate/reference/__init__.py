"""The reference users read: JSON Schemas and Markdown pages of params.yaml and dataset lines.

Pure: text built from the pydantic models, whose field docstrings are the descriptions, so
`benchgate validate`, editors and docs/ share one source. `commands.schema` prints it.
"""

from benchgate.reference.pages import markdown
from benchgate.reference.schema import json_schema, schema_text
from benchgate.reference.subjects import REFERENCES, SUBJECTS, Subject

__all__ = ["REFERENCES", "SUBJECTS", "Subject", "json_schema", "markdown", "schema_text"]
