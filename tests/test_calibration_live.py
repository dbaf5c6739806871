"""A live run's judge checked against the dataset's ground truth, end to end over sockets.

The fake OpenAI server answers as a judge of known quality: an accurate one scores each digest
by its ground truth, a noisy one ignores it. `judge.min_agreement` makes the noisy one
`uncalibrated` in `benchgate gate --mode live`; `judge.samples: 3` keeps every judgement.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tests.conftest import benchgate
from tests.fakes.openai_server import FakeOpenAIServer, JsonDict, Responder, last_user_text

N = 40
PARAMS = """\
scenarios:
  support:
    dataset: data/dataset.jsonl
    prompt: data/prompt.md
    prompt_version: v1
    model: candidate
    judge: {{model: judge-model, samples: {samples}, min_agreement: {{spearman: 0.5}}}}
    metrics:
      coverage: {{pass: 0.3}}
    regression: {{on_missing_baseline: ignore}}
gate: {{min_samples: 20}}
"""
ITEM = re.compile(r"Answer number (\d+)\.")


def truth(i: int) -> float:
    return round((i * 7 % 13) / 12, 6)  # a mean of three raters on 1-5, spread over 0..1


def write_project(root: Path, samples: int) -> None:
    (root / "data").mkdir()
    (root / "params.yaml").write_text(PARAMS.format(samples=samples), encoding="utf-8")
    (root / "data/prompt.md").write_text("Answer the customer: {{input}}\n", encoding="utf-8")
    lines = [
        json.dumps(
            {
                "id": f"q{i:03d}",
                "input": f"Question {i}",
                "output": f"Answer number {i}.",
                "ground_truth": {"coverage": truth(i)},
                "latency_s": 1.0,
            }
        )
        for i in range(N)
    ]
    (root / "data/dataset.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def judge(noisy: bool) -> Responder:
    def respond(request: JsonDict) -> str:
        text = last_user_text(request)
        found = ITEM.search(text)
        assert found, text
        if noisy:  # independent of the truth, different on each repeat (the seed moves)
            digest = hashlib.sha256(f"{found.group(1)}:{request.get('seed')}".encode()).digest()
            score = 1 + digest[0] % 5
        else:  # the truth's nearest point, one point up on every third repeat
            score = 1 + int(truth(int(found.group(1))) * 4 + 0.5)
            if int(request.get("seed") or 0) % 3 == 2:
                score = min(5, score + 1)
        return json.dumps({"score": score, "reason": "fake judge"})

    return respond


def gated(root: Path, noisy: bool, samples: int = 1) -> tuple[int, dict[str, object], str]:
    write_project(root, samples)
    with FakeOpenAIServer(responder=judge(noisy)) as server:
        done = benchgate(root, "run", "--mode", "live", env={"LLM_URL": server.url})
    assert done.returncode == 0, done.stderr
    gate = benchgate(root, "gate", "--mode", "live", "--fail-on-warn", "--json", "gate.json")
    assert gate.returncode in (0, 1), gate.stderr
    report = (root / ".benchgate/reports/support/live/report.md").read_text(encoding="utf-8")
    return gate.returncode, json.loads((root / "gate.json").read_text()), report


def test_an_accurate_judge_passes_and_a_noisy_one_is_uncalibrated(repo: Path, tmp_path: Path) -> None:
    code, result, report = gated(repo, noisy=False)
    assert code == 0, result["reasons"]
    coverage = result["metrics"]["coverage"]  # type: ignore[index]
    assert coverage["calibration"] == "calibrated" and coverage["llm_judged"]
    assert result["agreement"]["coverage"]["truth"] == "dataset"  # type: ignore[index]
    assert "| ✅ calibrated |" in report

    noisy_root = tmp_path / "noisy"
    noisy_root.mkdir()
    code, result, report = gated(noisy_root, noisy=True)
    assert code == 1, "--fail-on-warn turns the uncalibrated warn into a failing check"
    assert result["status"] == "warn"
    reasons = [(r["kind"], r["metric"], r["status"]) for r in result["reasons"]]  # type: ignore[union-attr]
    assert reasons == [("uncalibrated", "coverage", "warn")]
    assert result["metrics"]["coverage"]["calibration"] == "uncalibrated"  # type: ignore[index]
    assert "coverage: the judge is uncalibrated: Spearman ρ" in report


def test_repeated_judgements_are_kept_and_their_noise_reported(repo: Path) -> None:
    code, result, report = gated(repo, noisy=False, samples=3)
    assert code == 0, result["reasons"]
    lines = [
        json.loads(line)
        for line in (repo / "data/results/support/live/scores.jsonl").read_text().splitlines()
    ]
    assert all(len(line["judgements"]["coverage"]) == 3 for line in lines)
    assert all(
        line["scores"]["coverage"] == round(sum(line["judgements"]["coverage"]) / 3, 6) for line in lines
    )
    metrics = json.loads((repo / "data/results/support/live/metrics.json").read_text())
    assert metrics["coverage"]["ci_method"].startswith("two-stage bootstrap")
    noise = result["metrics"]["coverage"]["judge_noise"]  # type: ignore[index]
    assert noise["k"] == 3 and noise["repeated"] == N and 0 < noise["judge_share"] < 0.5
    assert "### Judge noise" in report


def test_judged_once_the_files_carry_no_judgements(repo: Path) -> None:
    gated(repo, noisy=False, samples=1)
    assert '"judgements"' not in (repo / "data/results/support/live/scores.jsonl").read_text()
    assert "ci_method" not in (repo / "data/results/support/live/metrics.json").read_text()
