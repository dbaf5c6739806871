"""Reproduce commands: the stage only when dvc.yaml has one, the endpoint quoted, nothing else."""

from __future__ import annotations

from pathlib import Path

from benchgate import dvc, reproduce


def test_live_without_a_live_stage_reruns_with_benchgate(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    assert dvc.stage_for(tmp_path, [], "s", "live") is None
    assert dvc.stage_for(tmp_path, ["s"], "s", "live") == "bench-live@s-live"
    assert dvc.stage_for(tmp_path, [], "s", "dry-run") == "bench@s-dry-run"
    assert dvc.stage_for(tmp_path / "nowhere", [], "s", "dry-run") is None
    found = reproduce.commands(
        "s", "live", head_sha="a" * 40, base_sha="b" * 40, stage=None, endpoint="http://h:1/v1; rm -rf /"
    )
    assert found == [
        f"git checkout {'a' * 40}",
        "LLM_URL='http://h:1/v1; rm -rf /' benchgate run --scenario s --mode live",
        f"benchgate gate --scenario s --mode live --base {'b' * 40}",
    ]
