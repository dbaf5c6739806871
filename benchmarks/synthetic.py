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
    prompt_version: synthetic-v1
    model: synthetic-model
    judge: {{model: synthetic-judge}}
    metrics:
      coverage:        {{pass: 0.88, warn: 0.80}}
      accuracy:        {{pass: 0.90, warn: 0.85}}
      coherence:       {{pass: 0.90, warn: 0.85}}
      informativeness: {{pass: 0.88, warn: 0.82}}
      latency_s:       {{pass: 210, warn: 240, direction: lower, max_drop: 10}}
    regression: {{max_drop: 0.02, alpha: 0.05, on_regression: fail}}
gate: {{fail_on_warn: false, max_unscored: 0.05, min_samples: 20}}
"""


def write_project(root: Path, n: int, *, name: str = "synthetic", seed: int = 7) -> Path:
    """params.yaml, prompt and an n-sample dataset under `root`; returns the dataset path."""
    scenario = root / "data" / "scenarios" / name
    scenario.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(PARAMS.format(name=name), encoding="utf-8")
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
