"""A request's prompt tokens, counted before sending: tiktoken for models it knows, else a labelled guess.

tiktoken downloads each encoding's BPE file on first use (then keeps it under
TIKTOKEN_CACHE_DIR). Where that download cannot happen (a closed network) the encoding is
unavailable, and so is exactness: the count falls back to about four characters per token,
and says so, rather than pretending. The download is given LOAD_WAIT_S: tiktoken sets no
timeout of its own, and a firewall that drops packets would otherwise hold the run forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

CHARS_PER_TOKEN = 4
"""OpenAI's rule of thumb for English; Russian runs nearer 2-3 with their encodings."""
LOAD_WAIT_S = 5.0
"""How long loading an encoding (a download, the first time) may take before the guess is used."""
MESSAGE_OVERHEAD = 3
"""Tokens a chat message costs beyond its text (role and separators), and the reply's priming."""


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of chat messages one way, and says which."""

    method: str
    """How: `tiktoken <encoding>`, or `estimated at ~4 characters per token: <why>`."""
    exact: bool
    """Whether the count is the model's own tokenizer's."""
    encode: Callable[[str], Sequence[int]] | None = None

    def prompt_tokens(self, messages: Sequence[dict[str, Any]]) -> int:
        """A chat request's prompt tokens."""
        texts = [str(message.get("content") or "") for message in messages]
        if self.encode is None:
            return max(1, round(sum(len(text) for text in texts) / CHARS_PER_TOKEN))
        return sum(len(self.encode(text)) + MESSAGE_OVERHEAD for text in texts) + MESSAGE_OVERHEAD


def guessed(why: str) -> TokenCounter:
    """The character-count estimate, labelled with why it is used."""
    return TokenCounter(f"estimated at ~{CHARS_PER_TOKEN} characters per token: {why}", exact=False)


@cache
def counter_for(model: str) -> TokenCounter:
    """The model's tokenizer when tiktoken knows the model and its encoding loads; else the estimate."""
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return guessed("tiktoken does not know this model")
    loaded: list[Any] = []

    def load() -> None:
        try:
            loaded.append(tiktoken.get_encoding(name))
        except Exception as exc:  # any failure to fetch or read it means "unavailable"
            loaded.append(exc)

    worker = threading.Thread(target=load, name=f"tiktoken-{name}", daemon=True)
    worker.start()
    worker.join(LOAD_WAIT_S)
    encoding = loaded[0] if loaded else None
    if encoding is None or isinstance(encoding, Exception):
        return guessed(f"tiktoken's {name} could not be loaded; is the network closed?")
    return TokenCounter(f"tiktoken {name}", exact=True, encode=encoding.encode_ordinary)
