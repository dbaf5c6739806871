"""What an unexpected exception leaves behind: one line for the user, the traceback in a log file.

A crash must never look like a failed gate (exit 1), and its details must not be lost, nor
carry a secret: values of the variables that hold credentials are redacted from the log.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import traceback
from pathlib import Path

SECRET_VARIABLES = (
    "LLM_API_KEY",
    "GITHUB_TOKEN",
    "INPUT_GITHUB-TOKEN",
    "INPUT_LLM-API-KEY",
    # What a DVC remote reads its credentials from (dvc pull runs under benchgate ci).
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
)
LOG_DIR = Path(".benchgate") / "logs"
USERINFO = re.compile(r"(?<=://)[^/\s@]+@")
"""`user:password@` in a URL (a DVC remote's or an endpoint's)."""


def redact(text: str) -> str:
    """`text` with the value of every credential variable, and credentials in URLs, replaced."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "[redacted]")
    return USERINFO.sub("[redacted]@", text)


def write_log(error: BaseException) -> Path:
    """Write the traceback under .benchgate/logs/ (or the temp directory); returns the file."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = f"crash-{stamp}-{os.getpid()}.log"
    details = redact("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    for directory in (LOG_DIR, Path(tempfile.gettempdir()) / "benchgate"):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / name
            path.write_text(details, encoding="utf-8")
        except OSError:
            continue
        return path
    return Path("(no writable log directory)")


def summary(error: BaseException) -> str:
    """One line naming the error, its first line only, redacted."""
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return redact(f"{type(error).__name__}: {first}" if first else type(error).__name__)
