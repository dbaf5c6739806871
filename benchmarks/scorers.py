"""Per-sample cost of each built-in scorer: CPU microseconds per sample, scored through the engine.

Usage: python -m benchmarks.scorers [N]   (default 20000). Outputs and references are short
Russian and English sentences and JSON answers, as the scale benchmark's; CPU time (not wall)
is measured so that other load on the machine distorts it less.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from benchgate.config import Scenario
from benchgate.dataset import Sample
from benchgate.scorers.engine import score_offline
from benchgate.scorers.registry import build_scorers
from benchmarks.synthetic import ANSWER_SCHEMA, POLICY

SCORERS: dict[str, dict[str, object]] = {
    "exact_match": {"type": "exact_match"},
    "exact_match (case, whitespace, punctuation)": {
        "type": "exact_match",
        "normalise": ["case", "whitespace", "punctuation"],
    },
    "contains_all (from meta)": {"type": "contains_all", "from_meta": "terms"},
    "regex": {"type": "regex", "pattern": "TICKET-[0-9]+", "must_match": True},
    "json_valid": {"type": "json_valid"},
    "json_schema": {"type": "json_schema", "schema": "answer.json"},
    "length": {"type": "length", "max_words": 50},
    "numeric": {"type": "numeric", "tolerance": 0.5},
    "python (a small function)": {"type": "python", "function": "checks.policy:score", "version": "1"},
    "bleu": {"type": "bleu"},
    "chrf": {"type": "chrf"},
    "rouge_l": {"type": "rouge_l"},
}


def samples(n: int) -> tuple[list[Sample], list[str]]:
    """n samples whose outputs are JSON answers (what json_* read) with a reference each."""
    made, outputs = [], []
    for i in range(n):
        answer = f"Заказ {i} будет доставлен на {i % 7 + 1} день, TICKET-{1000 + i}; order {i} ships."
        output = json.dumps({"answer": answer, "ticket": f"TICKET-{1000 + i}"}, ensure_ascii=False)
        reference = answer if i % 3 else answer.replace("доставлен", "отправлен")
        made.append(
            Sample(id=f"q{i}", input="?", output=output, reference=reference, meta={"terms": ["день"]})
        )
        outputs.append(output)
    return made, outputs


def main(n: int) -> None:
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    machine = f"{platform.node()} · Python {platform.python_version()} · {load}"
    print(f"# benchgate scorer costs · {n:,} samples · {machine}")
    print(f"{'scorer':<45} | {'µs/sample (CPU)':>15} | {'100k samples, s':>15}")
    data, outputs = samples(n)
    with TemporaryDirectory() as temp:
        root = Path(temp)
        (root / "answer.json").write_text(json.dumps(ANSWER_SCHEMA))
        (root / "checks").mkdir()
        (root / "checks" / "__init__.py").write_text("")
        (root / "checks" / "policy.py").write_text(POLICY)
        for label, config in SCORERS.items():
            scenario = Scenario.model_validate(
                {
                    "dataset": "d",
                    "prompt": "p",
                    "prompt_version": "v",
                    "model": "m",
                    "metrics": {"m": {"pass": 0.5, "scorer": config}},
                }
            )
            built = build_scorers(root, scenario, "dry-run")
            assert not built.problems, built.problems
            scorer = built.bound["m"].scorer
            assert scorer is not None
            start = time.process_time()
            score_offline({"m": scorer}, data, outputs)
            per_sample = (time.process_time() - start) / n * 1e6
            print(f"{label:<45} | {per_sample:>15.1f} | {per_sample / 10:>15.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
