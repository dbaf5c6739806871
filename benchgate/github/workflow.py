"""GitHub Actions' file and stdout interfaces: step summary, step outputs, annotations."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TextIO

SUMMARY_LIMIT = 1024 * 1024
"""GitHub rejects a step summary over 1 MiB."""


def summary_room(path: Path) -> int:
    """Bytes still free in the step summary file."""
    used = path.stat().st_size if path.exists() else 0
    return max(0, SUMMARY_LIMIT - used)


def append_summary(path: Path, text: str) -> None:
    """Append Markdown to $GITHUB_STEP_SUMMARY."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def set_outputs(path: Path, outputs: dict[str, str]) -> None:
    """Write step outputs; multi-line values use a delimiter that cannot occur in them."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            if "\n" in value or "\r" in value:
                delimiter = "BENCHGATE_" + hashlib.sha256(value.encode()).hexdigest()[:16]
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{name}={value}\n")


def annotate(level: str, title: str, message: str, stream: TextIO | None = None) -> None:
    """An `::error` / `::warning` / `::notice` workflow command, escaped as the runner expects."""
    print(f"::{level} title={_property(title)}::{_data(message)}", file=stream or sys.stdout, flush=True)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
