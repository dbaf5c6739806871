"""The judge against an in-process server: format negotiation down to plain text, anchored SCORE lines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from benchgate.config import JudgeSpec, MetricSpec
from benchgate.errors import LLMError
from benchgate.llm.cache import ResponseCache
from benchgate.llm.criterion import criterion_for
from benchgate.llm.endpoint import parse_endpoint
from benchgate.llm.judge import FormatNegotiator, Judgement, judge_once, judge_question
from tests.llm.clients import quick_client

ENDPOINT = parse_endpoint("http://llm.test:8000", "LLM_URL")
SPEC = JudgeSpec(model="judge")
COVERAGE = MetricSpec.model_validate(
    {
        "pass": 0.8,
        "scorer": {
            "type": "judge",
            "rubric": "5 = every significant post is covered; 1 = most posts are missing.",
        },
    }
)
REJECTION = {"detail": [{"loc": ["body", "response_format"], "msg": "Extra inputs are not permitted"}]}


def completion(content: str) -> httpx.Response:
    return httpx.Response(200, json={"choices": [{"message": {"content": content}, "finish_reason": "stop"}]})


def judged(
    answer: Callable[[dict[str, object]], httpx.Response], cache: ResponseCache | None = None
) -> tuple[Judgement, list[dict[str, object]]]:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        return answer(body)

    client = quick_client(httpx.MockTransport(handler), cache=cache)
    criterion = criterion_for(SPEC, "coverage", COVERAGE)
    question = judge_question(criterion, "1. [08:00] post", "digest", None)

    async def go() -> Judgement:
        try:
            return await judge_once(client, FormatNegotiator(cache), SPEC, ENDPOINT, question, repeat=0)
        finally:
            await client.aclose()

    return asyncio.run(go()), bodies


def plain_text_only(reply: str) -> Callable[[dict[str, object]], httpx.Response]:
    return lambda body: (
        httpx.Response(422, json=REJECTION) if "response_format" in body else completion(reply)
    )


def test_a_server_without_structured_output_is_asked_for_an_anchored_score_line(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    judgement, bodies = judged(plain_text_only("Every post is there.\nSCORE: 4"), cache)
    assert (judgement.score, judgement.reason) == (0.75, "Every post is there.")
    assert [b.get("response_format", {}).get("type") for b in bodies] == ["json_schema", "json_object", None]  # type: ignore[attr-defined]
    system, user = bodies[-1]["messages"]  # type: ignore[misc]
    assert "SCORE: N" in system["content"] and "JSON" not in system["content"]
    assert user["content"].endswith("the last line SCORE: N for this one criterion now.")
    assert cache.format_mode(f"{ENDPOINT.identity}|judge") == "text"


def test_in_plain_text_only_the_last_line_counts() -> None:
    echoed = "SCORE: 5\nAnchors: 5 = every significant post is covered; 1 = most posts are missing."
    judgement, bodies = judged(plain_text_only(echoed))
    assert judgement.score is None
    assert judgement.reason is not None and judgement.reason.startswith("judge reply unreadable: last line")
    reask = bodies[-1]["messages"][-1]["content"]  # type: ignore[index]
    assert "End your reply with the line SCORE: N" in reask


@pytest.mark.parametrize("reply", ['{"score": true, "reason": "yes"}', '{"score": 4, "reason": "cut'])
def test_booleans_and_uncut_broken_json_are_not_scores(reply: str) -> None:
    judgement, bodies = judged(lambda body: completion(reply))
    assert judgement.score is None and len(bodies) == 2


def test_a_format_accepted_before_and_refused_now_is_an_llm_error(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.remember_format(f"{ENDPOINT.identity}|judge", "json_schema")
    with pytest.raises(LLMError, match="HTTP 400 context too long"):
        judged(lambda body: httpx.Response(400, json={"error": {"message": "context too long"}}), cache)
