"""Synthetic scenarios of any size, for the scale benchmark and for tests.

Ratings are drawn from a seeded generator so that every N gives the same files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

METRICS = ("coverage", "accuracy", "coherence", "informativeness")
PARAMS = """\
scenarios:
  {name}:
    dataset: data/scenarios/{name}/dataset.jsonl
    prompt: data/scenarios/{name}/prompt.md
    prompt_version: {version}
    model: synthetic-model
    judge: {{model: synthetic-judge}}
    metrics:
{metrics}
    regression: {{max_drop: 0.02, alpha: 0.05, on_regression: fail}}
gate: {{fail_on_warn: false, max_unscored: 0.05, min_samples: 20}}
"""
DIGEST_METRICS = (
    "      coverage:        {pass: 0.88, warn: 0.80}",
    "      accuracy:        {pass: 0.90, warn: 0.85}",
    "      coherence:       {pass: 0.90, warn: 0.85}",
    "      informativeness: {pass: 0.88, warn: 0.82}",
    "      latency_s:       {pass: 210, warn: 240, direction: lower, max_drop: 10}",
)


def write_project(root: Path, n: int, *, name: str = "synthetic", seed: int = 7) -> Path:
    """params.yaml, prompt and an n-sample dataset under `root`; returns the dataset path."""
    scenario = root / "data" / "scenarios" / name
    scenario.mkdir(parents=True, exist_ok=True)
    params = PARAMS.format(name=name, version="synthetic-v1", metrics="\n".join(DIGEST_METRICS))
    (root / "params.yaml").write_text(params, encoding="utf-8")
    (scenario / "prompt.md").write_text(
        "Сделай дайджест канала {{channel}} за {{date}}:\n{{posts}}\n", encoding="utf-8"
    )
    dataset = scenario / "dataset.jsonl"
    write_dataset(dataset, n, seed=seed)
    return dataset


def write_dataset(path: Path, n: int, *, seed: int = 7) -> None:
    """n samples with plausible ratings (mean ~0.9) and latencies (mean ~190 s)."""
    rng = np.random.default_rng(seed)
    ratings = np.clip(rng.normal(0.9, 0.06, size=(n, len(METRICS))), 0, 1).round(2)
    latency = rng.gamma(36.0, 190.0 / 36.0, size=n).round(1)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = {
                "id": f"s{i:07d}",
                "input": {
                    "channel": f"Канал {i % 50}",
                    "date": "2025-11-09",
                    "posts": [{"id": 1, "text": f"Новость номер {i}."}],
                },
                "output": f"Дайджест {i}: новость номер {i}.",
                "reference": None,
                "ground_truth": dict(zip(METRICS, map(float, ratings[i]), strict=True)),
                "latency_s": float(latency[i]),
                "meta": {},
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def lower_metric(path: Path, metric: str, count: int, by: float) -> list[str]:
    """Lower `metric` by `by` (floored at 0) on the first `count` samples; returns their ids."""
    lines = path.read_text(encoding="utf-8").splitlines()
    changed = []
    for index in range(min(count, len(lines))):
        record = json.loads(lines[index])
        record["ground_truth"][metric] = round(max(0.0, record["ground_truth"][metric] - by), 4)
        lines[index] = json.dumps(record, ensure_ascii=False)
        changed.append(record["id"])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


JUDGED_METRICS = ("      coverage:   {pass: 0.80}", "      accuracy:   {pass: 0.80}")
SCORED_METRICS = (
    "      valid_json: {pass: 0.95, warn: 0.90, scorer: {type: json_schema, schema: schemas/answer.json}}",
    '      ticket:     {pass: 0.90, scorer: {type: regex, pattern: "TICKET-[0-9]+", must_match: true}}',
    "      exact:      {pass: 0.80, scorer: {type: exact_match, normalise: [case, whitespace]}}",
    "      overlap:    {pass: 0.50, scorer: chrf}",
    '      policy:     {pass: 0.80, scorer: {type: python, function: "checks.policy:score", version: "1"}}',
    "      latency_s:  {pass: 210, warn: 240, direction: lower, max_drop: 10}",
)
ANSWER_SCHEMA = {
    "type": "object",
    "required": ["answer", "ticket"],
    "properties": {"answer": {"type": "string"}, "ticket": {"type": "string", "pattern": "^TICKET-"}},
}
POLICY = '''\
"""A project's own scorer: answers must promise a day; a sample marked as a trap raises."""

from benchgate.scorers import Score


def score(output, sample):
    if sample.meta.get("trap"):
        raise RuntimeError(f"policy check crashed on {sample.id}")
    return True if " day " in output else Score(0.0, "promises no day")
'''


def write_scored_project(
    root: Path,
    n: int,
    *,
    name: str = "scored",
    traps: int = 0,
    judged: bool = False,
    overlap: bool = True,
    seed: int = 7,
) -> Path:
    """A scenario gated by deterministic and python scorers (JSON answers, tickets, references).

    `judged` adds two judge metrics with ground truth; `traps` marks that many samples on which
    the python scorer raises. Returns the dataset path.
    """
    scenario = root / "data" / "scenarios" / name
    scenario.mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "checks").mkdir(exist_ok=True)
    metrics = [*(JUDGED_METRICS if judged else ()), *SCORED_METRICS]
    if not overlap:
        metrics = [line for line in metrics if "chrf" not in line]
    params = PARAMS.format(name=name, version="scored-v1", metrics="\n".join(metrics))
    (root / "params.yaml").write_text(params, encoding="utf-8")
    (root / "schemas" / "answer.json").write_text(json.dumps(ANSWER_SCHEMA, indent=2) + "\n")
    (root / "checks" / "__init__.py").write_text("")
    (root / "checks" / "policy.py").write_text(POLICY, encoding="utf-8")
    (scenario / "prompt.md").write_text("Answer the customer: {{input}}\n", encoding="utf-8")
    rng = np.random.default_rng(seed)
    ratings = np.clip(rng.normal(0.9, 0.06, size=(n, 2)), 0, 1).round(2)
    latency = rng.gamma(36.0, 190.0 / 36.0, size=n).round(1)
    dataset = scenario / "dataset.jsonl"
    with dataset.open("w", encoding="utf-8") as handle:
        for i in range(n):
            answer = {"answer": f"Order {i} ships on day {i % 7 + 1}.", "ticket": f"TICKET-{1000 + i}"}
            output = json.dumps(answer)
            record: dict[str, object] = {
                "id": f"q{i:07d}",
                "input": f"Where is order {i}?",
                "output": output,
                "reference": output.upper() if i % 5 == 0 else output,
                "latency_s": float(latency[i]),
                "meta": {"trap": True} if i < traps else {},
            }
            if judged:
                record["ground_truth"] = {"coverage": float(ratings[i, 0]), "accuracy": float(ratings[i, 1])}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return dataset


def break_json(path: Path, count: int) -> list[str]:
    """Cut the closing brace off the output of the first `count` samples; returns their ids."""
    lines = path.read_text(encoding="utf-8").splitlines()
    changed = []
    for index in range(min(count, len(lines))):
        record = json.loads(lines[index])
        record["output"] = record["output"].rstrip("}")
        lines[index] = json.dumps(record, ensure_ascii=False)
        changed.append(record["id"])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed
