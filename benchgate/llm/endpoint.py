"""An endpoint URL of live calls: checked at start, completed to the chat path, shown without secrets. Pure.

`LLM_URL` is given as in the pilot (`http://host:port`), with `/v1`, or as the full path. A
query string (Azure's `?api-version=...`, sometimes a key) is kept at the end of the URL that
is requested, and appears nowhere else: messages, run.json and reports use `shown`, which has
neither the query nor credentials.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from benchgate.errors import UsageError

CHAT_PATH = "/chat/completions"
_DEFAULT_PORT = {"http": 80, "https": 443}
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Endpoint:
    """Where chat completions are sent."""

    url: str
    """The URL requested: the chat path, then the query if one was given. Never printed."""
    shown: str
    """scheme://host[:port]/path, without credentials or query: for messages, run.json and reports."""
    identity: str
    """scheme://host:port/path, normalised: what the response cache and format memory key on."""


def parse_endpoint(value: str, source: str) -> Endpoint:
    """Validate an endpoint URL named by `source` (e.g. "LLM_URL"); UsageError when it cannot be used."""
    text = value.strip()
    hint = "give it as http://host:port, optionally with /v1"
    if not text or _UNSAFE.search(text):
        raise UsageError(f"{source} is empty or contains spaces or control characters; {hint}")
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UsageError(f"{source}: {shown_url(text)} has an invalid port; {hint}") from None
    if scheme not in _DEFAULT_PORT or not host:
        raise UsageError(
            f"{source}: {shown_url(text)} needs an http:// or https:// scheme and a host; {hint}"
        )
    path = parts.path.rstrip("/")
    if not path.endswith(CHAT_PATH):
        path += CHAT_PATH if path.endswith("/v1") else "/v1" + CHAT_PATH
    netloc = parts.netloc
    where = netloc.rpartition("@")[2]
    bracketed = f"[{host}]" if ":" in host else host
    return Endpoint(
        url=urllib.parse.urlunsplit((scheme, netloc, path, parts.query, "")),
        shown=f"{scheme}://{where}{path}",
        identity=f"{scheme}://{bracketed.lower()}:{port or _DEFAULT_PORT[scheme]}{path}",
    )


def shown_url(text: str) -> str:
    """Any URL-like text without credentials, query or fragment, for a message."""
    kept = re.sub(r"//[^/@?#]*@", "//", text.strip())
    return re.split(r"[?#]", kept, maxsplit=1)[0]
