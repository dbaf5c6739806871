"""Reading a dataset line by line, and finding a few samples' stored outputs without parsing all of it."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from benchgate.commands import run
from benchgate.dataset import Dataset, Sample, find_outputs, read_dataset, scan_dataset
from benchgate.errors import Problem
from benchgate.results import SampleScore
from benchmarks.synthetic import write_project


def test_outputs_are_found_however_the_id_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [
        json.dumps({"id": "плюс/1", "input": "x", "output": "ascii-escaped"}),  # \\u043f... and \\/ below
        json.dumps({"id": "a/b", "input": "x", "output": "slash"}).replace("a/b", "a\\/b"),
        json.dumps({"id": "tab\tid", "input": "x", "output": "control escape"}),
        json.dumps({"id": "plain", "input": "x", "output": "plain"}, ensure_ascii=False),
        '{"id": "decoy", "input": "mentions \\"plain\\" too", "output": "not this one"}',
    ]
    path.write_text("\n".join(lines) + "\n")
    wanted = {"плюс/1", "a/b", "tab\tid", "plain", "absent"}
    assert find_outputs(path, wanted) == {
        "плюс/1": "ascii-escaped",
        "a/b": "slash",
        "tab\tid": "control escape",
        "plain": "plain",
    }


def test_a_dataset_is_read_line_by_line_with_the_same_samples_and_problems(tmp_path: Path) -> None:
    """Streaming keeps what reading the whole file gave: a BOM, CRLF, no final newline, line numbers."""
    path = tmp_path / "d.jsonl"
    good = [
        json.dumps({"id": f"s{i}", "input": "x", "output": "o", "ground_truth": {"m": 0.5}}) for i in range(3)
    ]
    body = "\ufeff" + good[0] + "\r\n\n" + '{"id": "s1", "input": 3}\n' + good[1] + "\n" + good[2][:-1]
    path.write_bytes(body.encode())
    problems: list[Problem] = []
    samples = scan_dataset(path, ["m"], problems)
    assert next(samples).id == "s0"
    assert problems == []  # the bad line 3 is not read yet: the file is not read ahead
    assert [s.id for s in samples] == ["s1"]
    assert [(p.line, p.field) for p in problems] == [(3, "input"), (5, None)]
    assert "invalid JSON" in problems[1].message
    assert read_dataset(path, ["m"]) == (
        Dataset(str(path), [Sample.model_validate_json(good[0]), Sample.model_validate_json(good[1])]),
        problems,
    )


def test_a_ground_truth_dry_run_holds_no_more_than_the_sample_it_judges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, 60)
    live: list[int] = []
    judge = run.judge_sample

    def counting(sample: Sample, metrics: list[str]) -> SampleScore:
        live.append(_live_samples())
        return judge(sample, metrics)

    monkeypatch.setattr(run, "judge_sample", counting)
    before = _live_samples()  # other tests' samples may still be alive in this process
    outcome = run.run_scenario(tmp_path / "params.yaml", None, "dry-run")
    assert outcome.samples == 60 and len(live) == 60
    assert max(live) - before <= 2  # the one being judged (and at most one not yet collected)


def _live_samples() -> int:
    return sum(isinstance(o, Sample) for o in gc.get_objects())
