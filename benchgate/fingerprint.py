"""Content digests of project files, as recorded in run.json and shown in reports."""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchgate.results import FileRef


def file_ref(root: Path, relative: str) -> FileRef:
    """sha256 of a file's bytes, read in chunks so large datasets stay cheap."""
    digest = hashlib.sha256()
    with (root / relative).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return FileRef(path=relative, sha256=digest.hexdigest())
