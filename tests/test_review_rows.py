"""The report's per-sample outputs: dataset lines indexed in the work tree, the base streamed from git."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from benchgate import dataset_lines, git
from benchgate.dataset_lines import BaseLines, FileLines
from benchgate.errors import GitError
from benchgate.review_rows import DatasetOutputs
from tests.conftest import benchgate, commit_all
from tests.test_html_report import DATASET, edited_example, island

ESCAPED = 'кириллица "в кавычках"'
HEAD = [
    b'{"id": "plain", "output": "a"}',
    b'{"output": "b", "id": "late"}',
    b"",
    b"   \t",
    '{"id": "кириллица \\"в кавычках\\"", "output": "c"}'.encode(),
    b'{"id": "plain", "output": "second copy"}',
    b"not json",
    b'{"id": 7, "output": "number id"}',
    b'{"output": "no id"}',
    b'{"id":"compact","output":"d"}',
    b'{"id": "\\u0431", "output": "escaped cyrillic"}',
    b'{"id": "unchanged", "output": "same at base"}',
]


def outputs(lines: FileLines | BaseLines) -> dict[str, str]:
    return {i: json.loads(lines[i])["output"] for i in lines}


def expected_head() -> dict[str, str]:
    return {
        "plain": "a",
        "late": "b",
        ESCAPED: "c",
        "compact": "d",
        "б": "escaped cyrillic",
        "unchanged": "same at base",
    }


@pytest.mark.parametrize("chunk", [1, 2, 7, 1 << 20])
@pytest.mark.parametrize(("bom", "newline", "last"), [(b"", b"\n", b"\n"), (b"\xef\xbb\xbf", b"\r\n", b"")])
def test_the_first_line_of_each_id_is_found_whatever_the_key_order_escapes_or_line_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, bom: bytes, newline: bytes, last: bytes
) -> None:
    monkeypatch.setattr(dataset_lines, "_CHUNK", chunk)  # lines and the BOM split across reads
    path = tmp_path / "dataset.jsonl"
    path.write_bytes(bom + newline.join(HEAD) + last)
    with FileLines(path) as lines:
        assert outputs(lines) == expected_head()
        assert lines["plain"] == HEAD[0] and len(lines) == 6
        # Read back out of file order too: the window serves neither, a read of its own does.
        assert json.loads(lines["unchanged"])["id"] == "unchanged"
        assert json.loads(lines["plain"])["id"] == "plain"
        with pytest.raises(KeyError):
            lines["7"]
    with FileLines(path) as lines:
        generated = DatasetOutputs({"late": "generated"}, lines)
        assert (generated["plain"], generated["late"], generated[ESCAPED]) == ("a", "generated", "c")
        assert generated.get("missing") is None and generated.get("7") is None


def test_an_empty_or_blank_file_has_no_lines(tmp_path: Path) -> None:
    for body in (b"", b"\xef\xbb\xbf", b"\xef\xbb", b"\n\r\n  \n"):
        path = tmp_path / "dataset.jsonl"
        path.write_bytes(body)
        with FileLines(path) as lines:
            assert dict(lines) == {}


def committed(repo: Path, lines: list[bytes]) -> tuple[str, bytes]:
    """Commit `lines` as the dataset; returns (sha, the blob's bytes)."""
    raw = b"\n".join(lines) + b"\n"
    (repo / "dataset.jsonl").write_bytes(raw)
    return commit_all(repo, "base"), raw


@pytest.mark.parametrize("chunk", [5, 1 << 20])
def test_only_the_base_lines_that_differ_from_the_head_are_kept(
    repo: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    base = [
        b'{"id": "removed", "output": "only at base"}',
        b'{"id": "plain", "output": "a"}',
        b'{"output": "b", "id": "late"}',
        b'{"id": "plain", "output": "a later copy at base"}',
        b'{"id": "unchanged", "output": "same at base"}',  # out of the head's order
        b'{"id": "compact","output":"d"}',  # the same sample, other bytes
        '{"id": "кириллица \\"в кавычках\\"", "output": "c changed"}'.encode(),
        b'{"id": "removed", "output": "second copy at base"}',
    ]
    sha, raw = committed(repo, base)
    (repo / "dataset.jsonl").write_bytes(b"\n".join(HEAD) + b"\n")
    monkeypatch.setattr(dataset_lines, "_CHUNK", chunk)
    chunks = git.stream(sha, "dataset.jsonl", repo, chunk=chunk)
    assert chunks is not None
    with FileLines(repo / "dataset.jsonl") as head:
        lines = BaseLines(head, chunks)
        assert lines.sha256.hexdigest() == hashlib.sha256(raw).hexdigest()
        assert sorted(lines.same()) == ["late", "plain", "unchanged"]
        assert sorted(lines.differing) == sorted(["removed", "compact", ESCAPED])
        assert outputs(lines) == {
            "removed": "only at base",
            "plain": "a",
            "late": "b",
            "unchanged": "same at base",
            "compact": "d",
            ESCAPED: "c changed",
        }
        assert lines["plain"] == HEAD[0] and len(lines) == 6


def test_git_streams_a_file_at_a_commit_or_says_it_is_not_there(repo: Path) -> None:
    sha, raw = committed(repo, [b"x" * 1000 for _ in range(50)])
    chunks = git.stream(sha, "dataset.jsonl", repo, chunk=4096)
    assert chunks is not None and b"".join(chunks) == raw
    assert git.stream(sha, "missing.jsonl", repo) is None
    stopped = git.stream(sha, "dataset.jsonl", repo, chunk=10)
    assert stopped is not None and next(iter(stopped)) == b"x" * 10
    stopped.close()  # a reader stopping early ends git rather than waiting on its full pipe
    with pytest.raises(GitError, match="cat-file"):
        list(git._chunks(["cat-file", "blob", f"{sha}:missing.jsonl"], repo, 10))


def test_without_the_bytes_the_base_run_recorded_the_base_outputs_are_unknown(example: Path) -> None:
    """The base commit's dataset is not the one its run judged: its lines are not shown as the base's."""
    assert benchgate(example, "run").returncode == 0
    path = example / DATASET
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[0]["output"] = "edited after the run"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    commit_all(example, "base: a dataset its results were not made from")
    records[1]["ground_truth"]["coverage"] = 0.0
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert benchgate(example, "run").returncode == 0
    commit_all(example, "head")
    done = benchgate(example, "gate", "--report", "out/review.md")
    assert done.returncode in (0, 1), done.stderr
    rows = island((example / "out/review.html").read_text(encoding="utf-8"))["rows"]
    assert rows and all(row["k"] == 1 for row in rows)  # head known, base not


def test_a_dataset_outside_the_repository_has_no_base(example: Path) -> None:
    outside = example.parent / "outside.jsonl"
    outside.write_bytes((example / DATASET).read_bytes())
    params = example / "params.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace(DATASET, str(outside)), encoding="utf-8")
    regressed = edited_example(example, dataset=outside)
    done = benchgate(example, "gate", "--report", "out/review.md")
    assert done.returncode == 1, done.stderr
    rows = {
        row["id"]: row for row in island((example / "out/review.html").read_text(encoding="utf-8"))["rows"]
    }
    assert all(rows[i]["k"] == 1 for i in regressed) and all(row["k"] == 1 for row in rows.values())
