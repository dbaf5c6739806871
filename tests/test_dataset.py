"""Finding a few samples' stored outputs in a large dataset without parsing all of it."""

from __future__ import annotations

import json
from pathlib import Path

from benchgate.dataset import find_outputs


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
