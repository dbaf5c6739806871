from __future__ import annotations

import json

import pytest

from benchgate.llm.wire import Malformed, error_detail, read_completion


def completion(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "model": "judge-2024-06",
        "choices": [{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2},
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_a_completion_is_read_with_its_served_model() -> None:
    read = read_completion(completion())
    assert (read.content, read.finish_reason, read.prompt_tokens, read.completion_tokens) == (
        "hi",
        "stop",
        7,
        2,
    )
    assert read.served_model == "judge-2024-06"


@pytest.mark.parametrize(
    ("usage", "counts"),
    [([1, 2], (0, 0)), ({"prompt_tokens": "7", "completion_tokens": True}, (0, 0)), (None, (0, 0))],
)
def test_odd_usage_counts_nothing_instead_of_failing(usage: object, counts: tuple[int, int]) -> None:
    read = read_completion(completion(usage=usage))
    assert (read.prompt_tokens, read.completion_tokens) == counts


def test_content_parts_and_null_content_are_text() -> None:
    parts = [{"message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]
    assert read_completion(completion(choices=parts)).content == "ab"
    assert read_completion(completion(choices=[{"message": {"content": None}}])).content == ""


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"<html>gateway</html>", "body is not JSON"),
        (b"[]", "body is a JSON list, not an object"),
        (b'"ok"', "body is a JSON string, not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not JSON"),
        (b"{}", "body has no `choices` list"),
        (b'{"choices": {}}', "`choices` is not a list"),
        (b'{"choices": []}', "`choices` is empty"),
        (b'{"choices": ["text"]}', "choices[0] is a JSON string, not an object"),
        (b'{"choices": [{"message": "hi"}]}', "choices[0].message is missing or not an object"),
        (b'{"choices": [{"text": "legacy"}]}', "choices[0].message is missing or not an object"),
        (b'{"choices": [{"message": {"content": {"a": 1}}}]}', "choices[0].message.content is not text"),
    ],
)
def test_a_malformed_200_names_what_is_wrong(raw: bytes, problem: str) -> None:
    with pytest.raises(Malformed, match=problem.replace("[", r"\[").replace("]", r"\]")):
        read_completion(raw)


@pytest.mark.parametrize(
    ("raw", "text", "labels"),
    [
        (b'{"error": {"message": "busy", "type": "server_error", "code": null}}', "busy", {"server_error"}),
        (b'{"error": {"message": "no", "type": "insufficient_quota"}}', "no", {"insufficient_quota"}),
        (b'{"error": "plain string"}', "plain string", set()),
        (b'{"message": "top-level message", "code": "x"}', "top-level message", {"x"}),
        (b'{"detail": "Not Found"}', "Not Found", set()),
        (
            b'{"detail": [{"loc": ["body", "response_format"], "msg": "Extra inputs are not permitted"}]}',
            "body.response_format: Extra inputs are not permitted",
            set(),
        ),
        (
            b'{"error": {"message": "bad", "param": "response_format"}}',
            "bad (param response_format)",
            set(),
        ),
        (b"[1, 2]", "[1, 2]", set()),
        (b'"nope"', '"nope"', set()),
        (b"upstream\n  timed out", "upstream timed out", set()),
        (b"\xff\xfe broken", "\ufffd\ufffd broken", set()),
        (b"", "Service Unavailable", set()),
    ],
)
def test_error_details_are_read_from_wherever_the_server_put_them(
    raw: bytes, text: str, labels: set[str]
) -> None:
    detail = error_detail(raw, "Service Unavailable")
    assert detail.text == text
    assert detail.labels == labels
