from __future__ import annotations

import pytest

from benchgate.errors import UsageError
from benchgate.llm.endpoint import parse_endpoint, shown_url


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1/chat/completions"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1/chat/completions"),
        ("https://h/v1/chat/completions", "https://h/v1/chat/completions"),
        (" http://h:1/v1\n", "http://h:1/v1/chat/completions"),
        (
            "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01",
            "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01",
        ),
        ("http://h:1/v1?api-version=2024-06-01", "http://h:1/v1/chat/completions?api-version=2024-06-01"),
        ("http://[::1]:8000", "http://[::1]:8000/v1/chat/completions"),
    ],
)
def test_the_pilots_forms_complete_to_the_chat_path_with_the_query_last(given: str, url: str) -> None:
    assert parse_endpoint(given, "LLM_URL").url == url


def test_shown_and_identity_carry_neither_credentials_nor_query() -> None:
    endpoint = parse_endpoint("HTTPS://user:secret@Gateway.example/v1?key=sk-abc123456789", "LLM_URL")
    assert endpoint.url == "https://user:secret@Gateway.example/v1/chat/completions?key=sk-abc123456789"
    assert endpoint.shown == "https://Gateway.example/v1/chat/completions"
    assert endpoint.identity == "https://gateway.example:443/v1/chat/completions"
    assert parse_endpoint("http://h", "x").identity == parse_endpoint("http://h:80/v1", "x").identity


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("127.0.0.1:8000", "needs an http:// or https:// scheme and a host"),
        ("localhost:8000/v1", "needs an http:// or https:// scheme and a host"),
        ("ftp://h/v1", "needs an http:// or https:// scheme and a host"),
        ("http://", "needs an http:// or https:// scheme and a host"),
        ("http:///v1", "needs an http:// or https:// scheme and a host"),
        ("http://h:99999", "has an invalid port"),
        ("http://h:port", "has an invalid port"),
        ("http://h/v1 extra", "is empty or contains spaces or control characters"),
        ("", "is empty or contains spaces or control characters"),
    ],
)
def test_an_unusable_url_is_a_usage_error_naming_its_source(given: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_endpoint(given, "LLM_URL")
    message = str(caught.value)
    assert message.startswith("LLM_URL") and problem in message
    assert caught.value.exit_code == 2


def test_an_error_never_shows_the_query_or_credentials() -> None:
    with pytest.raises(UsageError) as caught:
        parse_endpoint("gopher://u:pw@h:1/v1?key=sk-secret0000", "LLM_URL")
    assert "pw" not in str(caught.value) and "sk-secret" not in str(caught.value)
    assert shown_url("http://u:p@h/x?key=1#f") == "http://h/x"
