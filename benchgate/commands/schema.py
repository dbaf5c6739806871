"""`benchgate schema`: print the JSON Schema or the Markdown reference of params.yaml or a dataset line."""

from __future__ import annotations

from typing import Literal

import click

from benchgate import reference
from benchgate.reference import Subject

Format = Literal["json", "markdown"]
FORMATS: tuple[Format, ...] = ("json", "markdown")


def print_schema(subject: Subject, form: Format) -> None:
    """Write the reference to stdout as UTF-8 bytes, identical whatever the locale or platform."""
    text = reference.markdown(subject) if form == "markdown" else reference.schema_text(subject)
    click.echo(text.encode("utf-8"), nl=False)  # bytes go to the binary stream untranslated
